/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_drop.h"

static const char *const names[ESP_DROP_COUNT] = {
#define ESP_DROP_NAME(name, text) [ESP_DROP_##name] = text,
    ESP_DROP_REASONS(ESP_DROP_NAME)
#undef ESP_DROP_NAME
};

const char *esp_drop_name(enum esp_drop d)
{
    if ((unsigned)d >= ESP_DROP_COUNT)
        return "?";
    return names[d];
}
