/*
 * Which log formats a Sigma logsource applies to. This table is the contract between rule
 * writers and the parsers: a rule is compiled only into the databases of the formats its
 * logsource names, so a web rule never fires on a mail log line that quotes an attack URL.
 */
#ifndef WEIR_LOGSOURCE_H
#define WEIR_LOGSOURCE_H

#include <stddef.h>

#include "weir/event.h"
#include "weir/sigma.h"

/* Bit (1u << WEIR_FMT_x) per format. */
typedef unsigned weir_fmt_mask;

/*
 * Sets *mask to the formats the logsource applies to. Returns 0, or -1 with err describing the
 * logsource when weir reads no log of that kind (the rule is then rejected, never guessed at).
 */
int weir_logsource_formats(const sigma_logsource *ls, weir_fmt_mask *mask, char *err,
                           size_t errlen);

/* The table as text, one line per entry, for `weir check --help` and the docs. */
const char *weir_logsource_table(void);

#endif
