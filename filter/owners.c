/*
 * Partition -> worker table: open addressing with linear probing, keyed by an FNV-1a hash of
 * topic and partition. Claims, releases and lookups happen at rebalances (the pipeline keeps
 * each assigned partition's worker beside it), and per event only for a stray message.
 */
#include "owners.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *topic; /* NULL: free slot */
    int32_t partition;
    size_t worker;
    uint64_t hash;
} ow_slot;

struct ow_table {
    size_t nworkers;
    size_t *load; /* partitions per worker */
    ow_slot *slots;
    size_t cap, used; /* cap is a power of two, kept at most half full */
};

static uint64_t ow_hash(const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *c = topic; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    return (h ^ (uint32_t)partition) * 1099511628211ULL;
}

ow_table *ow_new(size_t nworkers)
{
    ow_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->nworkers = nworkers ? nworkers : 1;
    t->cap = 64;
    t->load = calloc(t->nworkers, sizeof(size_t));
    t->slots = calloc(t->cap, sizeof(ow_slot));
    if (!t->load || !t->slots) {
        ow_free(t);
        return NULL;
    }
    return t;
}

void ow_free(ow_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->slots && i < t->cap; i++)
        free(t->slots[i].topic);
    free(t->slots);
    free(t->load);
    free(t);
}

/* The slot holding the partition, or the free slot where it would go. */
static size_t ow_find(const ow_table *t, const char *topic, int32_t partition, uint64_t h)
{
    size_t i = (size_t)h & (t->cap - 1);
    while (t->slots[i].topic && !(t->slots[i].hash == h && t->slots[i].partition == partition &&
                                  strcmp(t->slots[i].topic, topic) == 0))
        i = (i + 1) & (t->cap - 1);
    return i;
}

size_t ow_worker(const ow_table *t, const char *topic, int32_t partition)
{
    uint64_t h = ow_hash(topic, partition);
    const ow_slot *s = &t->slots[ow_find(t, topic, partition, h)];
    return s->topic ? s->worker : (size_t)(h % t->nworkers);
}

static int ow_grow(ow_table *t)
{
    size_t ncap = t->cap * 2;
    ow_slot *ns = calloc(ncap, sizeof(ow_slot));
    if (!ns)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].topic)
            continue;
        size_t k = (size_t)t->slots[i].hash & (ncap - 1);
        while (ns[k].topic)
            k = (k + 1) & (ncap - 1);
        ns[k] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

int ow_claim(ow_table *t, const char *topic, int32_t partition)
{
    uint64_t h = ow_hash(topic, partition);
    size_t i = ow_find(t, topic, partition, h);
    if (t->slots[i].topic)
        return 0;
    if ((t->used + 1) * 2 > t->cap) {
        if (ow_grow(t) != 0)
            return -1;
        i = ow_find(t, topic, partition, h);
    }
    char *dup = strdup(topic);
    size_t *mine = calloc(t->nworkers, sizeof(size_t)); /* this topic's partitions per worker */
    if (!dup || !mine) {
        free(dup);
        free(mine);
        return -1;
    }
    for (size_t k = 0; k < t->cap; k++)
        if (t->slots[k].topic && strcmp(t->slots[k].topic, topic) == 0)
            mine[t->slots[k].worker]++;
    /* fewest of this topic's partitions, then fewest in all, then the lowest-numbered:
     * deterministic, and each topic spread over the workers whatever order the partitions
     * come in. Topics differ in traffic (an IIS topic carries many times a syslog one):
     * counting all partitions alone, a list ordered partition by partition across an even
     * number of topics gave every partition of a topic to the same worker. */
    size_t best = 0;
    for (size_t w = 1; w < t->nworkers; w++)
        if (mine[w] < mine[best] || (mine[w] == mine[best] && t->load[w] < t->load[best]))
            best = w;
    free(mine);
    t->slots[i] = (ow_slot){.topic = dup, .partition = partition, .worker = best, .hash = h};
    t->load[best]++;
    t->used++;
    return 0;
}

void ow_release(ow_table *t, const char *topic, int32_t partition)
{
    uint64_t h = ow_hash(topic, partition);
    size_t i = ow_find(t, topic, partition, h);
    if (!t->slots[i].topic)
        return;
    t->load[t->slots[i].worker]--;
    free(t->slots[i].topic);
    t->slots[i].topic = NULL;
    t->used--;
    /* backward-shift deletion: move up every later entry of the run whose home slot is not
     * between the hole and itself, so probes never stop early at the hole */
    size_t hole = i;
    for (size_t j = (i + 1) & (t->cap - 1); t->slots[j].topic; j = (j + 1) & (t->cap - 1)) {
        size_t home = (size_t)t->slots[j].hash & (t->cap - 1);
        int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (stays)
            continue;
        t->slots[hole] = t->slots[j];
        t->slots[j].topic = NULL;
        hole = j;
    }
}

size_t ow_load(const ow_table *t, size_t i)
{
    return i < t->nworkers ? t->load[i] : 0;
}
