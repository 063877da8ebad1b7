/*
 * Compiled engines on disk (`weir compile`, then `weir run --db` / `weir scan --db`): the
 * Hyperscan databases (hs_serialize_database) plus the rule programs and atoms, in one msgpack
 * document. Compiling thousands of rules takes seconds; loading a file takes milliseconds.
 *
 * A serialized Hyperscan database is only valid for the same Hyperscan version and a compatible
 * CPU, so the file opens with a header (weir version, Hyperscan version, platform, rules hash)
 * that is checked before anything else is trusted, and a mismatch is refused by name.
 */
#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

#define DB_MAGIC   "weir-db"
#define DB_FORMAT  1

/* "tune=N features=0xN": what makes a serialized database usable on this host */
static void platform_string(char *buf, size_t len)
{
    hs_platform_info_t pi;
    if (hs_populate_platform(&pi) != HS_SUCCESS)
        memset(&pi, 0, sizeof(pi));
    snprintf(buf, len, "tune=%u features=0x%llx", pi.tune, (unsigned long long)pi.cpu_features);
}

static int pk_str(msgpack_packer *pk, const char *s)
{
    if (!s)
        return msgpack_pack_nil(pk);
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n);
}

int weir_engine_save(const weir_engine *e, const char *path, char *err, size_t errlen)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    char plat[64];
    platform_string(plat, sizeof(plat));
    int x = msgpack_pack_array(&pk, 9);
    x = x || pk_str(&pk, DB_MAGIC) || msgpack_pack_int(&pk, DB_FORMAT);
    x = x || pk_str(&pk, WEIR_VERSION) || pk_str(&pk, hs_version()) || pk_str(&pk, plat);
    x = x || pk_str(&pk, e->hash);
    x = x || msgpack_pack_array(&pk, e->nrules);
    for (size_t i = 0; !x && i < e->nrules; i++) {
        const rule_t *r = &e->rules[i];
        x = msgpack_pack_array(&pk, 9) || pk_str(&pk, r->meta.id) || pk_str(&pk, r->meta.title) ||
            pk_str(&pk, r->meta.level) || msgpack_pack_array(&pk, r->meta.ntags);
        for (size_t t = 0; !x && t < r->meta.ntags; t++)
            x = pk_str(&pk, r->meta.tags[t]);
        x = x || pk_str(&pk, r->meta.file) || msgpack_pack_uint32(&pk, r->meta.line) ||
            msgpack_pack_uint32(&pk, r->formats) || msgpack_pack_array(&pk, r->nprog);
        for (size_t k = 0; !x && k < r->nprog; k++)
            x = msgpack_pack_uint32(&pk, ((uint32_t)r->prog[k].arg << 3) | r->prog[k].op);
        x = x || msgpack_pack_array(&pk, r->nfields);
        for (size_t k = 0; !x && k < r->nfields; k++)
            x = msgpack_pack_int(&pk, r->fields[k]);
    }
    x = x || msgpack_pack_array(&pk, e->natoms);
    for (size_t i = 0; !x && i < e->natoms; i++) {
        const atom_t *a = &e->atoms[i];
        x = msgpack_pack_array(&pk, 11) || msgpack_pack_int(&pk, a->kind) ||
            msgpack_pack_int(&pk, a->field) || pk_str(&pk, a->expr) ||
            msgpack_pack_uint32(&pk, a->flags) || msgpack_pack_int(&pk, a->want) ||
            msgpack_pack_int(&pk, a->family) || msgpack_pack_bin(&pk, 16) ||
            msgpack_pack_bin_body(&pk, a->addr, 16) || msgpack_pack_uint32(&pk, a->prefix) ||
            msgpack_pack_int(&pk, a->op) || msgpack_pack_double(&pk, a->num) ||
            msgpack_pack_array(&pk, a->nrules);
        for (size_t k = 0; !x && k < a->nrules; k++)
            x = msgpack_pack_uint32(&pk, a->rules[k]);
    }
    x = x || msgpack_pack_array(&pk, e->ndbs);
    for (size_t i = 0; !x && i < e->ndbs; i++) {
        const fielddb_t *d = &e->dbs[i];
        char *bytes = NULL;
        size_t n = 0;
        if (hs_serialize_database(d->db, &bytes, &n) != HS_SUCCESS) {
            x = 1;
            break;
        }
        x = msgpack_pack_array(&pk, 3) || msgpack_pack_int(&pk, d->field) ||
            msgpack_pack_bin(&pk, n) || msgpack_pack_bin_body(&pk, bytes, n) ||
            msgpack_pack_array(&pk, d->nexprs);
        free(bytes);
        for (size_t k = 0; !x && k < d->nexprs; k++)
            x = msgpack_pack_uint32(&pk, d->atom_of[k]);
    }
    int rc = -1;
    if (x) {
        snprintf(err, errlen, "cannot serialize the engine (out of memory)");
        goto out;
    }
    /* write to a temporary name and rename, so a reader never sees half a file */
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *fp = fopen(tmp, "wb");
    if (!fp || fwrite(sb.data, 1, sb.size, fp) != sb.size || fclose(fp) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        if (fp)
            fclose(fp);
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* ---- load ---------------------------------------------------------------------------------- */

typedef struct {
    const msgpack_object *v;
    uint32_t n, i;
    int bad;
} rd;

static rd arr(const msgpack_object *o, int *bad)
{
    rd r = {0};
    if (!o || o->type != MSGPACK_OBJECT_ARRAY) {
        *bad = 1;
        return r;
    }
    r.v = o->via.array.ptr;
    r.n = o->via.array.size;
    return r;
}

static const msgpack_object *next(rd *r, int *bad)
{
    if (r->i >= r->n) {
        *bad = 1;
        return NULL;
    }
    return &r->v[r->i++];
}

static char *get_str(const msgpack_object *o, int *bad)
{
    if (o && o->type == MSGPACK_OBJECT_NIL)
        return NULL;
    if (!o || o->type != MSGPACK_OBJECT_STR) {
        *bad = 1;
        return NULL;
    }
    char *s = strndup(o->via.str.ptr, o->via.str.size);
    if (!s)
        *bad = 1;
    return s;
}

static int64_t get_int(const msgpack_object *o, int *bad)
{
    if (o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t)o->via.u64;
    if (o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    *bad = 1;
    return 0;
}

static int str_is(const msgpack_object *o, const char *s)
{
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(s) &&
           memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

static void load_rules(weir_engine *e, const msgpack_object *o, int *bad)
{
    rd rs = arr(o, bad);
    e->rules = calloc(rs.n ? rs.n : 1, sizeof(rule_t));
    if (!e->rules) {
        *bad = 1;
        return;
    }
    for (uint32_t i = 0; i < rs.n && !*bad; i++) {
        rule_t *r = &e->rules[e->nrules++];
        rd f = arr(next(&rs, bad), bad);
        r->meta.id = get_str(next(&f, bad), bad);
        r->meta.title = get_str(next(&f, bad), bad);
        r->meta.level = get_str(next(&f, bad), bad);
        rd tags = arr(next(&f, bad), bad);
        r->meta.tags = calloc(tags.n ? tags.n : 1, sizeof(char *));
        for (uint32_t t = 0; r->meta.tags && t < tags.n && !*bad; t++)
            r->meta.tags[r->meta.ntags++] = get_str(next(&tags, bad), bad);
        r->meta.file = get_str(next(&f, bad), bad);
        r->meta.line = (unsigned)get_int(next(&f, bad), bad);
        r->formats = (weir_fmt_mask)get_int(next(&f, bad), bad);
        rd prog = arr(next(&f, bad), bad);
        r->prog = calloc(prog.n ? prog.n : 1, sizeof(op_t));
        for (uint32_t k = 0; r->prog && k < prog.n && !*bad; k++) {
            uint32_t w = (uint32_t)get_int(next(&prog, bad), bad);
            r->prog[k].op = w & 7;
            r->prog[k].arg = w >> 3;
            r->nprog++;
        }
        rd fl = arr(next(&f, bad), bad);
        r->fields = calloc(fl.n ? fl.n : 1, sizeof(int));
        for (uint32_t k = 0; r->fields && k < fl.n && !*bad; k++)
            r->fields[r->nfields++] = (int)get_int(next(&fl, bad), bad);
        if (!r->meta.id || !r->meta.tags || !r->prog || !r->fields)
            *bad = 1;
        if (r->nprog > e->max_prog)
            e->max_prog = r->nprog;
    }
}

static void load_atoms(weir_engine *e, const msgpack_object *o, int *bad)
{
    rd as = arr(o, bad);
    e->atoms = calloc(as.n ? as.n : 1, sizeof(atom_t));
    if (!e->atoms) {
        *bad = 1;
        return;
    }
    e->capatoms = as.n;
    for (uint32_t i = 0; i < as.n && !*bad; i++) {
        atom_t *a = &e->atoms[e->natoms++];
        rd f = arr(next(&as, bad), bad);
        a->kind = (atom_kind)get_int(next(&f, bad), bad);
        a->field = (int)get_int(next(&f, bad), bad);
        a->expr = get_str(next(&f, bad), bad);
        a->flags = (unsigned)get_int(next(&f, bad), bad);
        a->want = get_int(next(&f, bad), bad) != 0;
        a->family = (int)get_int(next(&f, bad), bad);
        const msgpack_object *addr = next(&f, bad);
        if (addr && addr->type == MSGPACK_OBJECT_BIN && addr->via.bin.size == 16)
            memcpy(a->addr, addr->via.bin.ptr, 16);
        else
            *bad = 1;
        a->prefix = (unsigned)get_int(next(&f, bad), bad);
        a->op = (sigma_cmp_op)get_int(next(&f, bad), bad);
        const msgpack_object *num = next(&f, bad);
        a->num = num && (num->type == MSGPACK_OBJECT_FLOAT64 || num->type == MSGPACK_OBJECT_FLOAT32)
                     ? num->via.f64
                     : 0;
        rd rules = arr(next(&f, bad), bad);
        a->rules = calloc(rules.n ? rules.n : 1, sizeof(uint32_t));
        for (uint32_t k = 0; a->rules && k < rules.n && !*bad; k++) {
            uint32_t r = (uint32_t)get_int(next(&rules, bad), bad);
            if (r >= e->nrules)
                *bad = 1;
            a->rules[a->nrules++] = r;
        }
        if (!a->rules)
            *bad = 1;
    }
}

static int load_dbs(weir_engine *e, const msgpack_object *o, int *bad, char *err, size_t errlen)
{
    rd ds = arr(o, bad);
    e->dbs = calloc(ds.n ? ds.n : 1, sizeof(fielddb_t));
    if (!e->dbs) {
        *bad = 1;
        return -1;
    }
    for (uint32_t i = 0; i < ds.n && !*bad; i++) {
        fielddb_t *d = &e->dbs[e->ndbs++];
        rd f = arr(next(&ds, bad), bad);
        d->field = (int)get_int(next(&f, bad), bad);
        const msgpack_object *b = next(&f, bad);
        if (*bad || b->type != MSGPACK_OBJECT_BIN) {
            *bad = 1;
            return -1;
        }
        hs_error_t he = hs_deserialize_database(b->via.bin.ptr, b->via.bin.size, &d->db);
        if (he != HS_SUCCESS) {
            snprintf(err, errlen,
                     "Hyperscan cannot load database %u (error %d%s): recompile with weir compile",
                     i, (int)he,
                     he == HS_DB_PLATFORM_ERROR  ? ": built for another CPU"
                     : he == HS_DB_VERSION_ERROR ? ": built by another Hyperscan"
                                                 : "");
            return -1;
        }
        size_t sz = 0;
        hs_database_size(d->db, &sz);
        e->db_bytes += sz;
        rd ids = arr(next(&f, bad), bad);
        d->atom_of = calloc(ids.n ? ids.n : 1, sizeof(uint32_t));
        for (uint32_t k = 0; d->atom_of && k < ids.n && !*bad; k++) {
            uint32_t a = (uint32_t)get_int(next(&ids, bad), bad);
            if (a >= e->natoms)
                *bad = 1;
            d->atom_of[d->nexprs++] = a;
        }
        if (!d->atom_of)
            *bad = 1;
    }
    return 0;
}

/* Programs index atoms; a damaged file must not make the scanner read out of bounds. */
static int programs_valid(const weir_engine *e)
{
    for (size_t i = 0; i < e->nrules; i++) {
        size_t depth = 0;
        for (size_t k = 0; k < e->rules[i].nprog; k++) {
            op_t o = e->rules[i].prog[k];
            if (o.op == OP_ATOM && o.arg >= e->natoms)
                return 0;
            if (o.op == OP_ATOM || o.op == OP_TRUE || o.op == OP_FALSE)
                depth++;
            else if (o.op == OP_NOT && depth < 1)
                return 0;
            else if ((o.op == OP_AND || o.op == OP_OR) && (o.arg == 0 || depth < o.arg))
                return 0;
            else if (o.op == OP_AND || o.op == OP_OR)
                depth -= o.arg - 1;
            else if (o.op > OP_FALSE)
                return 0;
        }
        if (depth != 1)
            return 0;
    }
    return 1;
}

int weir_engine_load(weir_engine **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot open compiled rules: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                snprintf(err, errlen, "%s: out of memory", path);
                return -1;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(fp);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int bad = 0, rc = -1;
    weir_engine *e = NULL;
    if (!buf || msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS) {
        snprintf(err, errlen, "%s: not a weir compiled rules file", path);
        goto out;
    }
    rd top = arr(&u.data, &bad);
    if (bad || top.n != 9 || !str_is(&top.v[0], DB_MAGIC)) {
        snprintf(err, errlen, "%s: not a weir compiled rules file", path);
        goto out;
    }
    char plat[64];
    platform_string(plat, sizeof(plat));
    if (get_int(&top.v[1], &bad) != DB_FORMAT || !str_is(&top.v[2], WEIR_VERSION)) {
        snprintf(err, errlen, "%s: compiled by weir %.*s (file format %lld); this is weir %s: "
                 "recompile with weir compile", path,
                 top.v[2].type == MSGPACK_OBJECT_STR ? (int)top.v[2].via.str.size : 1,
                 top.v[2].type == MSGPACK_OBJECT_STR ? top.v[2].via.str.ptr : "?",
                 (long long)get_int(&top.v[1], &bad), WEIR_VERSION);
        goto out;
    }
    if (!str_is(&top.v[3], hs_version())) {
        snprintf(err, errlen, "%s: compiled with Hyperscan %.*s; this host has %s: recompile "
                 "with weir compile", path,
                 top.v[3].type == MSGPACK_OBJECT_STR ? (int)top.v[3].via.str.size : 1,
                 top.v[3].type == MSGPACK_OBJECT_STR ? top.v[3].via.str.ptr : "?", hs_version());
        goto out;
    }
    if (!str_is(&top.v[4], plat)) {
        snprintf(err, errlen, "%s: compiled for platform '%.*s'; this host is '%s': recompile "
                 "with weir compile on a host like this one", path,
                 top.v[4].type == MSGPACK_OBJECT_STR ? (int)top.v[4].via.str.size : 1,
                 top.v[4].type == MSGPACK_OBJECT_STR ? top.v[4].via.str.ptr : "?", plat);
        goto out;
    }
    if (!(e = calloc(1, sizeof(*e))))
        goto oom;
    top.i = 6;
    load_rules(e, next(&top, &bad), &bad);
    load_atoms(e, next(&top, &bad), &bad);
    if (!bad && load_dbs(e, next(&top, &bad), &bad, err, errlen) != 0 && !bad)
        goto out;
    if (bad || !programs_valid(e) || e->nrules == 0) {
        snprintf(err, errlen, "%s: damaged compiled rules file", path);
        goto out;
    }
    /* rules evaluated on every event, and the formats each database serves, are derived,
     * not stored: recompute them */
    if (engine_finish(e) != 0)
        goto oom;
    engine_db_derive(e);
    engine_compute_hash(e);
    if (!str_is(&top.v[5], e->hash)) {
        snprintf(err, errlen, "%s: damaged compiled rules file (rules hash mismatch)", path);
        goto out;
    }
    *out = e;
    e = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
out:
    weir_engine_destroy(e);
    msgpack_unpacked_destroy(&u);
    free(buf);
    return rc;
}
