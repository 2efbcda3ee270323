/* crc32.h: the CRC-32 of zip archives and bundles (IEEE 802.3, reflected), bit by bit: for tests that write
 * those formats themselves, so that what importkit reads is checked against an independent writer. */

#ifndef CTESTS_CRC32_H
#define CTESTS_CRC32_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t crc32_of(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

#endif
