/*
 * Value normalisation for field matching, the pieces a rule compiler may also want (to check
 * a rule value against the form an event will have). Pure functions on byte spans: inputs
 * need not be NUL-terminated and dst is never NUL-terminated.
 */
#ifndef WEIR_NORMALIZE_H
#define WEIR_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "weir/event.h"

/*
 * Percent-decodes src once into dst (room for n bytes; dst == src is allowed) and returns the
 * decoded length. "%XX" with two hex digits becomes the byte; anything else ("%zz", "%4",
 * a trailing '%', IIS "%u0041") is kept literally. "%00" is kept as the three characters,
 * so a NUL never cuts a value short downstream. '+' is left alone: it means space only in
 * form encoding, and rules are written against the '+' as logged.
 */
size_t weir_norm_percent_decode(const char *src, size_t n, char *dst);

/* Copies src into dst (room for n bytes) with every '+' turned into a space: IIS writes the
 * spaces of a User-Agent (and Cookie) as '+' (facts §0.2). Returns n. */
size_t weir_norm_plus_to_space(const char *src, size_t n, char *dst);

/* True when the field is normalised by weir_norm_plus_to_space alone in format f (IIS's
 * User-Agent and Cookie): its normalised value then differs from the logged one only where a
 * '+' became a space. */
bool weir_norm_plus_only(weir_format f, int field);

/* True when a W3C/IIS value is the "-" that stands for empty. */
bool weir_norm_is_dash(const char *p, size_t n);

/* Value of one hex digit, or -1. Shared by the URI and JSON \u decoders. */
int weir_norm_hexval(char c);

#endif
