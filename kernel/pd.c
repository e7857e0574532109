#include "pd.h"
#include "cpu.h"
#include "cpu_features.h"
#include "frame_alloc.h"
#include "kstring.h"
#include "layout.h"
#include "paging.h"

static void *pd_page_alloc(void *ctx)
{
    (void)ctx;
    uint64_t pa = frame_alloc();
    return pa ? phys_to_virt(pa) : 0;
}

static void pd_page_free(void *ctx, void *page)
{
    (void)ctx;
    frame_free(virt_to_phys(page));
}

/* Page-table frames for paging_map_user, charged through the page source. */
static uint64_t table_alloc(void *ctx)
{
    void *p = page_source_alloc(ctx);
    return p ? virt_to_phys(p) : 0;
}

struct pd *pd_create(struct quota *from, uint64_t quota_pages)
{
    struct pd *pd = kobj_alloc(from, DJ_OBJ_PD);
    if (!pd)
        return 0;
    if (!quota_init_child(&pd->quota, from, quota_pages)) {
        kobj_put(&pd->obj);
        return 0;
    }
    pd->pages = (struct page_source){pd_page_alloc, pd_page_free, pd, &pd->quota};
    pd->root = paging_new_root(table_alloc, &pd->pages);
    if (!pd->root) {
        quota_destroy_child(&pd->quota);
        kobj_put(&pd->obj);
        return 0;
    }
    capspace_init(&pd->caps, &pd->pages);
    pd->cr3 = virt_to_phys(pd->root);
    return pd;
}

static uint64_t pte_flags_for(unsigned rights)
{
    uint64_t f = 0;
    if (rights & DJ_MEM_W)
        f |= PTE_WRITE;
    if (!(rights & DJ_MEM_X))
        f |= PTE_NX;
    return f;
}

int pd_map(struct pd *pd, uint64_t va, uint64_t pa, unsigned rights)
{
    if ((va | pa) & (PAGE_SIZE - 1) || va >= USER_TOP || !(rights & DJ_MEM_R))
        return DJ_E_BAD_PARAM;
    if (paging_map_user(pd->root, va, pa, pte_flags_for(rights), table_alloc, &pd->pages) < 0)
        return DJ_E_QUOTA;
    return DJ_OK;
}

bool pd_lookup(struct pd *pd, uint64_t va, uint64_t *pa, unsigned *rights)
{
    uint64_t pte = paging_query_in(pd->root, va);
    if (!(pte & PTE_PRESENT))
        return false;
    *pa = pte & PTE_ADDR_MASK;
    *rights = DJ_MEM_R | ((pte & PTE_WRITE) ? DJ_MEM_W : 0) | ((pte & PTE_NX) ? 0 : DJ_MEM_X);
    return true;
}

void pd_unmap(struct pd *pd, uint64_t va)
{
    if (paging_unmap_user(pd->root, va) & PTE_PRESENT)
        paging_flush_user(va);
}

void pd_activate(struct pd *pd)
{
    if (read_cr3() != pd->cr3)
        write_cr3(pd->cr3);
}
