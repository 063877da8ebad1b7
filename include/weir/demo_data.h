/*
 * Demo traffic: a deterministic mix of ordinary Exchange front-end IIS lines (OWA, ActiveSync,
 * EWS, Autodiscover, MAPI) with a handful of ProxyLogon-era attack lines placed inside it.
 */
#ifndef WEIR_DEMO_DATA_H
#define WEIR_DEMO_DATA_H

#include <stddef.h>
#include <stdint.h>

/* Number of attack lines weir_demo_event() places in a stream of n events. */
size_t weir_demo_attack_count(size_t n);

/* Writes event i (0-based) of a stream of n into buf; returns its length. *attack is set to 1
 * for the planted attack lines. Same (i, n) always gives the same line. */
size_t weir_demo_event(size_t i, size_t n, char *buf, size_t buflen, int *attack);

#endif
