/*
 * A scanner's memory of what short field values matched. Log fields repeat: an Exchange
 * server's IIS log has a few dozen distinct URI stems in fifty thousand lines (the bench
 * corpus: 29), and hs_scan costs 300-1100 cycles on such a value against a web rule pack's
 * stem database, mostly fixed costs Hyperscan pays per call. A value seen before is looked up
 * instead (its hash, then its bytes compared), and the atoms it matched are replayed.
 *
 * Exact, not a heuristic: an entry holds the whole value and the database it was scanned
 * against, and the matches of one database over one value never change. Bounded: a fixed
 * direct-mapped table per scanner, allocated with it; a newer value takes an older one's slot.
 * Values longer than MEMO_VALUE_MAX bytes, or with more than MEMO_ATOMS matched atoms, are not
 * kept. Where values rarely repeat (a query string with a session id), each lookup would be a
 * cost without a return: a database whose hit rate in a window of lookups stays under 1 in
 * 8 is scanned without the memo for a while, then tried again.
 */
#include "engine_priv.h"

#include <stdlib.h>
#include <string.h>

#define MEMO_SLOTS 1024
#define MEMO_WINDOW 4096    /* lookups per database between hit-rate checks */
#define MEMO_MIN_HITS 512   /* ... fewer hits than this: rest the memo for that database */
#define MEMO_REST 65536     /* scans without the memo before trying again */

typedef struct {
    uint64_t hash; /* 0: empty */
    uint32_t db;
    uint16_t len;
    uint8_t natoms;
    uint32_t atoms[MEMO_ATOMS];
    char bytes[MEMO_VALUE_MAX];
} memo_slot;

typedef struct {
    uint32_t lookups, hits; /* this window */
    uint32_t rest;          /* scans left before the memo is tried again */
} memo_db;

struct scan_memo {
    memo_slot *slots;
    memo_db *dbs;
    size_t ndbs;
    uint64_t lookups, hits; /* since the start, for weir_scanner_memo_counts */
};

scan_memo *scan_memo_new(size_t ndbs)
{
    scan_memo *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->slots = calloc(MEMO_SLOTS, sizeof(memo_slot));
    m->dbs = calloc(ndbs ? ndbs : 1, sizeof(memo_db));
    m->ndbs = ndbs;
    if (!m->slots || !m->dbs) {
        scan_memo_free(m);
        return NULL;
    }
    return m;
}

void scan_memo_free(scan_memo *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->dbs);
    free(m);
}

/* A word at a time, multiply and fold; never 0 (0 marks an empty slot). */
static uint64_t memo_hash(uint32_t db, const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)db << 32) ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

int scan_memo_get(scan_memo *m, uint32_t db, const char *p, size_t n, uint64_t *hash,
                  const uint32_t **atoms, size_t *natoms)
{
    *hash = 0;
    if (n > MEMO_VALUE_MAX || db >= m->ndbs)
        return 0;
    memo_db *d = &m->dbs[db];
    if (d->rest) {
        d->rest--;
        return 0;
    }
    if (++d->lookups == MEMO_WINDOW) {
        if (d->hits < MEMO_MIN_HITS)
            d->rest = MEMO_REST;
        d->lookups = d->hits = 0;
    }
    m->lookups++;
    uint64_t h = memo_hash(db, p, n);
    *hash = h;
    const memo_slot *s = &m->slots[h % MEMO_SLOTS];
    if (s->hash != h || s->db != db || s->len != n || memcmp(s->bytes, p, n) != 0)
        return 0;
    d->hits++;
    m->hits++;
    *atoms = s->atoms;
    *natoms = s->natoms;
    return 1;
}

void scan_memo_counts(const scan_memo *m, uint64_t *lookups, uint64_t *hits)
{
    *lookups = m->lookups;
    *hits = m->hits;
}

void scan_memo_put(scan_memo *m, uint32_t db, uint64_t hash, const char *p, size_t n,
                   const uint32_t *atoms, size_t natoms)
{
    if (!hash || natoms > MEMO_ATOMS) /* not looked up, or too many to keep */
        return;
    memo_slot *s = &m->slots[hash % MEMO_SLOTS];
    s->hash = hash;
    s->db = db;
    s->len = (uint16_t)n;
    s->natoms = (uint8_t)natoms;
    memcpy(s->atoms, atoms, natoms * sizeof(uint32_t));
    memcpy(s->bytes, p, n);
}
