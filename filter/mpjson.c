/*
 * msgpack-to-JSON writer. Used by `weir alerts` and `weir scan` so the JSON a person reads is
 * produced from the very bytes that went onto the topic, not from a second encoder.
 */
#include "weir/mpjson.h"

#include <inttypes.h>
#include <string.h>

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* reject overlong forms, surrogates and values past U+10FFFF */
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return len;
}

void mpjson_write_str(FILE *fp, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', fp);
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            fputc('\\', fp);
            fputc(c, fp);
            i++;
        } else if (c == '\n') {
            fputs("\\n", fp);
            i++;
        } else if (c == '\r') {
            fputs("\\r", fp);
            i++;
        } else if (c == '\t') {
            fputs("\\t", fp);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(fp, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, fp);
            i++;
        } else {
            size_t l = utf8_len(s + i, n - i);
            if (l == 0) {
                fprintf(fp, "\\u%04x", c);
                i++;
            } else {
                fwrite(s + i, 1, l, fp);
                i += l;
            }
        }
    }
    fputc('"', fp);
}

void mpjson_write(FILE *fp, const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        fputs("null", fp);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        fputs(o->via.boolean ? "true" : "false", fp);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        fprintf(fp, "%" PRIu64, o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        fprintf(fp, "%" PRId64, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        fprintf(fp, "%.17g", o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        mpjson_write_str(fp, o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_BIN:
        mpjson_write_str(fp, o->via.bin.ptr, o->via.bin.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        fputc('[', fp);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                fputc(',', fp);
            mpjson_write(fp, &o->via.array.ptr[i]);
        }
        fputc(']', fp);
        break;
    case MSGPACK_OBJECT_MAP:
        fputc('{', fp);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (i)
                fputc(',', fp);
            if (kv->key.type == MSGPACK_OBJECT_STR) {
                mpjson_write(fp, &kv->key);
            } else { /* JSON keys must be strings: render the key, then quote that */
                fputc('"', fp);
                if (kv->key.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                    fprintf(fp, "%" PRIu64, kv->key.via.u64);
                else if (kv->key.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                    fprintf(fp, "%" PRId64, kv->key.via.i64);
                else
                    fputs("?", fp);
                fputc('"', fp);
            }
            fputc(':', fp);
            mpjson_write(fp, &kv->val);
        }
        fputc('}', fp);
        break;
    default:
        fputs("null", fp); /* ext types: weir never writes them */
        break;
    }
}

const msgpack_object *mpjson_map_get(const msgpack_object *o, const char *key)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kn = strlen(key);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kn &&
            memcmp(k->via.str.ptr, key, kn) == 0)
            return &o->via.map.ptr[i].val;
    }
    return NULL;
}

static void write_plain(FILE *fp, const msgpack_object *o, size_t max)
{
    const char *p = NULL;
    size_t n = 0;
    if (o && o->type == MSGPACK_OBJECT_STR) {
        p = o->via.str.ptr;
        n = o->via.str.size;
    } else if (o && o->type == MSGPACK_OBJECT_BIN) {
        p = o->via.bin.ptr;
        n = o->via.bin.size;
    }
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)p[i];
        fputc(c < 0x20 || c == 0x7F ? '.' : c, fp);
    }
    if (n > max)
        fputs("…", fp);
}

int mpjson_write_alert_compact(FILE *fp, const msgpack_object *a, size_t max_raw)
{
    const msgpack_object *rules = mpjson_map_get(a, "rules");
    const msgpack_object *raw = mpjson_map_get(a, "event.original");
    if (!rules || rules->type != MSGPACK_OBJECT_ARRAY || !raw)
        return -1;
    const char *top = "info";
    static const char *order[] = {"informational", "low", "medium", "high", "critical"};
    int best = -1;
    for (uint32_t i = 0; i < rules->via.array.size; i++) {
        const msgpack_object *lv = mpjson_map_get(&rules->via.array.ptr[i], "level");
        for (int k = 0; lv && lv->type == MSGPACK_OBJECT_STR && k < 5; k++)
            if (lv->via.str.size == strlen(order[k]) &&
                memcmp(lv->via.str.ptr, order[k], lv->via.str.size) == 0 && k > best)
                best = k;
    }
    if (best >= 0)
        top = order[best];
    fprintf(fp, "%-8s ", top);
    for (uint32_t i = 0; i < rules->via.array.size; i++) {
        const msgpack_object *title = mpjson_map_get(&rules->via.array.ptr[i], "title");
        if (i)
            fputs("; ", fp);
        if (title && title->type == MSGPACK_OBJECT_STR && title->via.str.size)
            write_plain(fp, title, 100);
        else
            write_plain(fp, mpjson_map_get(&rules->via.array.ptr[i], "id"), 80);
    }
    const msgpack_object *k = mpjson_map_get(a, "kafka");
    const msgpack_object *file = mpjson_map_get(a, "log.file.path");
    if (k) {
        const msgpack_object *t = mpjson_map_get(k, "topic");
        const msgpack_object *p = mpjson_map_get(k, "partition");
        const msgpack_object *off = mpjson_map_get(k, "offset");
        fputs(" | ", fp);
        write_plain(fp, t, 64);
        if (p && off && p->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            off->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            fprintf(fp, "/%" PRIu64 "@%" PRIu64, p->via.u64, off->via.u64);
    } else if (file) {
        const msgpack_object *line = mpjson_map_get(a, "log.file.line");
        fputs(" | ", fp);
        write_plain(fp, file, 200);
        if (line && line->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            fprintf(fp, ":%" PRIu64, line->via.u64);
    }
    fputs(" | ", fp);
    write_plain(fp, raw, max_raw);
    fputc('\n', fp);
    return 0;
}
