/*
 * Alert encoding with msgpack-c's packer onto a caller-owned, reused sbuffer.
 */
#include "weir/alert.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "weir/clock.h"

void weir_alert_format_time(int64_t ts_ms, char *buf, size_t buflen)
{
    if (ts_ms < 0)
        ts_ms = weir_wall_ms();
    time_t sec = (time_t)(ts_ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, buflen - n, ".%03dZ", (int)(ts_ms % 1000));
}

static int pack_cstr(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

/*
 * The fields the matching rules test and the event has, each once. A bitmap on the stack
 * dedupes them without allocating.
 */
static size_t matched_fields(const weir_engine *e, const weir_hits *hits, int *out)
{
    unsigned char seen[(WEIR_FIELD__COUNT + 7) / 8] = {0};
    size_t n = 0;
    if (!hits->event || hits->parse_status != WEIR_PARSE_OK)
        return 0;
    for (size_t i = 0; i < hits->n; i++) {
        const int *f;
        size_t nf = weir_engine_rule_fields(e, hits->rules[i], &f);
        for (size_t k = 0; k < nf; k++) {
            int id = f[k];
            if (id < 0 || id >= WEIR_FIELD__COUNT || (seen[id / 8] & (1u << (id % 8))))
                continue;
            seen[id / 8] |= (unsigned char)(1u << (id % 8));
            if (weir_event_get(hits->event, id))
                out[n++] = id;
        }
    }
    return n;
}

int weir_alert_encode(msgpack_sbuffer *sb, const weir_engine *e, const weir_hits *hits,
                      const void *raw, size_t rawlen, const weir_alert_src *src)
{
    msgpack_sbuffer_clear(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    char ts[40], created[40];
    weir_alert_format_time(src->ts_ms, ts, sizeof(ts));
    weir_alert_format_time(src->read_ms > 0 ? src->read_ms : -1, created, sizeof(created));
    int fields[WEIR_FIELD__COUNT];
    size_t nfields = matched_fields(e, hits, fields);

    /* weir.truncated only when true: the common alert stays as small as it was */
    bool truncated = hits->event && weir_event_truncated(hits->event);
    int err = msgpack_pack_map(&pk, (src->file_path ? 8 : 7) + (truncated ? 1 : 0));
    err = err || pack_cstr(&pk, "@timestamp") || pack_cstr(&pk, ts);
    /* ECS: when the pipeline first read the event; against @timestamp it is how far behind
     * the stream weir was, alert by alert */
    err = err || pack_cstr(&pk, "event.created") || pack_cstr(&pk, created);
    err = err || pack_cstr(&pk, "event.original") || msgpack_pack_bin(&pk, rawlen) ||
          msgpack_pack_bin_body(&pk, raw, rawlen);
    err = err || pack_cstr(&pk, "rules") || msgpack_pack_array(&pk, hits->n);
    for (size_t i = 0; !err && i < hits->n; i++) {
        const weir_rule *r = weir_engine_rule(e, hits->rules[i]);
        err = msgpack_pack_map(&pk, 4);
        err = err || pack_cstr(&pk, "id") || pack_cstr(&pk, r->id);
        err = err || pack_cstr(&pk, "title") || pack_cstr(&pk, r->title);
        err = err || pack_cstr(&pk, "level") || pack_cstr(&pk, r->level);
        err = err || pack_cstr(&pk, "tags") || msgpack_pack_array(&pk, r->ntags);
        for (size_t t = 0; !err && t < r->ntags; t++)
            err = pack_cstr(&pk, r->tags[t]);
    }
    err = err || pack_cstr(&pk, "fields") || msgpack_pack_map(&pk, nfields);
    for (size_t i = 0; !err && i < nfields; i++) {
        const weir_view *v = weir_event_get(hits->event, fields[i]);
        /* values are log bytes, not necessarily UTF-8: bin keeps them exact */
        err = pack_cstr(&pk, weir_field_ecs_name(fields[i])) || msgpack_pack_bin(&pk, v->len) ||
              msgpack_pack_bin_body(&pk, v->p, v->len);
    }
    if (src->file_path) {
        err = err || pack_cstr(&pk, "log.file.path") || pack_cstr(&pk, src->file_path);
        err = err || pack_cstr(&pk, "log.file.line") || msgpack_pack_uint64(&pk, src->file_line);
    } else {
        err = err || pack_cstr(&pk, "kafka") || msgpack_pack_map(&pk, 3);
        err = err || pack_cstr(&pk, "topic") || pack_cstr(&pk, src->topic ? src->topic : "");
        err = err || pack_cstr(&pk, "partition") || msgpack_pack_int32(&pk, src->partition);
        err = err || pack_cstr(&pk, "offset") || msgpack_pack_int64(&pk, src->offset);
    }
    err = err || pack_cstr(&pk, "weir.rules_version") ||
          pack_cstr(&pk, weir_engine_rules_hash(e));
    if (truncated)
        err = err || pack_cstr(&pk, "weir.truncated") || msgpack_pack_true(&pk);
    return err ? -1 : 0;
}
