/*
 * Monotonic time for rates and timeouts (never wall-clock: NTP steps must not bend a rate).
 */
#ifndef WEIR_CLOCK_H
#define WEIR_CLOCK_H

#include <time.h>

static inline double weir_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
