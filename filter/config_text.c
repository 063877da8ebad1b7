/*
 * The config module's text for people: a key's description (weir_config_key_info), --help, the
 * Markdown rows of docs/config.md and the effective-config dump. All of it is drawn from the key
 * table in config.c, so the help and the docs cannot drift from what the parsers accept; the
 * dump writes values back in the spellings those parsers read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

/* ---- help, docs ----------------------------------------------------------------------------- */

void weir_config_key_info(weir_cfg_key k, weir_cfg_info *out)
{
    memset(out, 0, sizeof(*out));
    if ((unsigned)k >= WEIR_CFG__COUNT)
        return;
    out->name = cfg_defs[k].name;
    out->env = cfg_defs[k].env;
    out->def = cfg_defs[k].def;
    out->desc = cfg_defs[k].desc;
    cfg_type_text(&cfg_defs[k], out->type, sizeof(out->type));
}

/* Writes text in lines of at most width columns, each after indent spaces. */
static void put_wrapped(FILE *fp, const char *text, int indent, size_t width)
{
    const char *p = text;
    while (*p) {
        size_t room = width - (size_t)indent, n = strlen(p);
        if (n > room) {
            n = room;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0) /* one word longer than the line: let it overflow */
                n = strcspn(p, " ");
        }
        fprintf(fp, "%*s%.*s\n", indent, "", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

void weir_config_help(FILE *fp)
{
    fprintf(fp, "Configuration keys (weir run -c FILE; precedence: defaults < file < "
                "environment < flags):\n");
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        weir_cfg_info in;
        weir_config_key_info((weir_cfg_key)k, &in);
        fprintf(fp, "  %-20s %-24s default: %s\n      %s\n", in.name, in.env,
                *in.def ? in.def : "(none)", in.type);
        put_wrapped(fp, in.desc, 6, 80);
    }
}

void weir_config_help_markdown(FILE *fp)
{
    fprintf(fp, "| key | type | default | environment | description |\n");
    fprintf(fp, "|---|---|---|---|---|\n");
    for (int k = 0; k < WEIR_CFG__COUNT; k++) {
        weir_cfg_info in;
        weir_config_key_info((weir_cfg_key)k, &in);
        fprintf(fp, "| `%s` | %s | %s%s%s | `%s` | %s |\n", in.name, in.type, *in.def ? "`" : "",
                *in.def ? in.def : "(none)", *in.def ? "`" : "", in.env, in.desc);
    }
}

/* ---- dump ----------------------------------------------------------------------------------- */

/* Property names whose values are credentials. ssl.key.pem is a private key inline. */
static bool is_secret(const char *kv)
{
    static const char *const marks[] = {"password", "secret", "sasl.oauthbearer", "ssl.key.pem"};
    size_t klen = strcspn(kv, "=");
    for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
        size_t ml = strlen(marks[i]);
        for (size_t j = 0; j + ml <= klen; j++)
            if (strncasecmp(kv + j, marks[i], ml) == 0)
                return true;
    }
    return false;
}

/* A YAML double-quoted scalar of n bytes of s: every byte that could confuse a reader escaped. */
static void put_quoted(FILE *fp, const char *s, size_t n)
{
    fputc('"', fp);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            fprintf(fp, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(fp, "\\x%02x", ch);
        else
            fputc(ch, fp);
    }
    fputc('"', fp);
}

static void dump_key(const weir_config *c, weir_cfg_key k, FILE *fp)
{
    const cfg_def *d = &cfg_defs[k];
    const slot *sl = &c->s[k];
    char buf[32];
    fprintf(fp, "%s:", d->name);
    switch (d->type) {
    case T_STR:
        fputc(' ', fp);
        put_quoted(fp, sl->s, strlen(sl->s));
        break;
    case T_INT:
        fprintf(fp, " %lld", sl->i);
        break;
    case T_BOOL:
        fprintf(fp, " %s", sl->i ? "true" : "false");
        break;
    case T_ENUM:
        fprintf(fp, " %s", d->values[sl->i]);
        break;
    case T_SIZE:
        cfg_fmt_size(buf, sizeof(buf), sl->i);
        fprintf(fp, " %s", buf);
        break;
    case T_DURATION:
        cfg_fmt_duration(buf, sizeof(buf), sl->i);
        fprintf(fp, " %s", buf);
        break;
    case T_PATHS:
    case T_INPUTS:
    case T_KAFKA:
        if (sl->l.n == 0)
            fputs(d->type == T_KAFKA ? " {}" : " []", fp);
        break;
    }
    /* the origin holds a file name: no byte of it may end the comment early */
    fputs("  # ", fp);
    for (const char *o = weir_config_origin(c, k); *o; o++)
        fputc((unsigned char)*o < 0x20 || *o == 0x7f ? '?' : *o, fp);
    fputc('\n', fp);
    for (size_t i = 0; i < sl->l.n; i++) {
        const char *v = sl->l.v[i];
        if (d->type == T_PATHS) {
            fputs("  - ", fp);
            put_quoted(fp, v, strlen(v));
        } else if (d->type == T_INPUTS) {
            fputs("  - topic: ", fp);
            put_quoted(fp, v, strlen(v));
            fprintf(fp, "\n    format: %s", weir_format_name((weir_format)sl->l.aux[i]));
        } else {
            size_t klen = strcspn(v, "=");
            fputs("  ", fp);
            put_quoted(fp, v, klen);
            fputs(": ", fp);
            if (is_secret(v))
                fputs("\"[redacted]\"", fp);
            else
                put_quoted(fp, v + klen + 1, strlen(v + klen + 1));
        }
        fputc('\n', fp);
    }
}

void weir_config_dump(const weir_config *c, FILE *fp)
{
    fprintf(fp, "# weir effective configuration; each key's origin in its comment, secrets "
                "redacted\n");
    for (int k = 0; k < WEIR_CFG__COUNT; k++)
        dump_key(c, (weir_cfg_key)k, fp);
}
