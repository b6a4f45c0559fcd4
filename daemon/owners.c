/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "owners.h"
#include "parse.h"
#include "sysctld.h"
#include "tuned.h"

static const char *const knob_hold_table[_KNOB_HOLD_MAX] = {
        [KNOB_HOLD_NONE] = "unmanaged",        [KNOB_HOLD_MANAGED] = "managed",
        [KNOB_HOLD_LEFT] = "owned-elsewhere",  [KNOB_HOLD_TAKEN] = "taken-over",
        [KNOB_HOLD_BACKED_OFF] = "backed-off",
};

const char *knob_hold_to_string(KnobHold h) {
        return (unsigned) h < _KNOB_HOLD_MAX ? knob_hold_table[h] : NULL;
}

/* The key below /proc/sys of a tunable that is a sysctl ("vm/swappiness"),
 * NULL for one that is not (a /sys knob). */
static const char *sysctl_key(TunableId id) {
        const TunableInfo *info = tunable_info(id);

        if (!info || !info->path || strncmp(info->path, "sys/", 4) != 0)
                return NULL;
        return info->path + 4;
}

static void claim_from(OwnerClaim *c, const ConfSetting *s) {
        *c = (OwnerClaim) { .set = s != NULL };
        if (!s)
                return;
        snprintf(c->file, sizeof(c->file), "%s", s->file);
        c->line = s->line;
        snprintf(c->value, sizeof(c->value), "%s", s->value ?: "");
}

static int errors_take(Owners *o, ConfList *l) {
        for (size_t i = 0; i < l->n_errors; i++) {
                char **n = realloc(o->errors, (o->n_errors + 1) * sizeof(char *));

                if (!n)
                        return -ENOMEM;
                o->errors = n;
                o->errors[o->n_errors++] = TAKE_PTR(l->errors[i]);
        }
        l->n_errors = 0;
        return 0;
}

static void stamp_take(OwnerStamp *s, int root_fd) {
        struct stat st;

        s->exists = fstatat(root_fd, s->path, &st, 0) >= 0;
        s->dev = s->exists ? st.st_dev : 0;
        s->ino = s->exists ? st.st_ino : 0;
        s->mtime_nsec = s->exists ? (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
        s->size = s->exists ? (int64_t) st.st_size : 0;
}

/* path as the host names it ("/etc/...") or relative to the root. */
static void stamp_add(Owners *o, int root_fd, const char *path) {
        OwnerStamp *s;

        while (*path == '/')
                path++;
        for (size_t i = 0; i < o->n_stamps; i++)
                if (strcmp(o->stamps[i].path, path) == 0)
                        return;
        if (o->n_stamps >= OWNERS_STAMPS_MAX || strlen(path) >= sizeof(s->path)) {
                o->stamps_overflow = true;
                return;
        }
        s = &o->stamps[o->n_stamps++];
        snprintf(s->path, sizeof(s->path), "%s", path);
        stamp_take(s, root_fd);
}

bool owners_changed(const Owners *o, int root_fd) {
        if (o->stamps_overflow)
                return true;
        for (size_t i = 0; i < o->n_stamps; i++) {
                OwnerStamp now = o->stamps[i];

                stamp_take(&now, root_fd);
                if (now.exists != o->stamps[i].exists || now.dev != o->stamps[i].dev ||
                    now.ino != o->stamps[i].ino || now.mtime_nsec != o->stamps[i].mtime_nsec ||
                    now.size != o->stamps[i].size)
                        return true;
        }
        return false;
}

void owners_done(Owners *o) {
        OwnerTrack track[_TUNABLE_MANAGED_MAX];

        memcpy(track, o->track, sizeof(track));
        for (size_t i = 0; i < o->n_errors; i++)
                free(o->errors[i]);
        free(o->errors);
        *o = (Owners) {};
        memcpy(o->track, track, sizeof(track));
}

int owners_detect(Owners *o, int root_fd, int proc_fd) {
        _cleanup_(conf_list_done) ConfList sysctl = {};
        _cleanup_(tuned_config_done) TunedConfig tuned = {};
        int r;

        Peers peers = o->peers;

        owners_done(o);
        o->peers = peers;
        r = sysctl_load(root_fd, &sysctl);
        if (r < 0)
                return r;
        r = tuned_load(root_fd, &tuned);
        if (r < 0)
                return r;
        if (proc_fd >= 0 && peers_scan(proc_fd, &o->peers) < 0)
                o->peers = (Peers) {};

        for (size_t i = 0; i < tuned.n_profiles; i++)
                snprintf(o->tuned_profile + strlen(o->tuned_profile),
                         sizeof(o->tuned_profile) - strlen(o->tuned_profile), "%s%s", i ? " " : "",
                         tuned.profiles[i]);
        /* TuneD applies its profile while it runs; enabled, it will at the
         * next boot, possibly after memtuned started. */
        o->tuned_active = tuned.n_profiles > 0 &&
                          (o->peers.pid[PEER_TUNED] > 0 || unit_enabled(root_fd, "tuned.service"));

        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                const char *key = sysctl_key(id);

                if (!key)
                        continue;
                claim_from(&o->sysctl[id], conf_list_find(&sysctl, key));
                claim_from(&o->tuned[id], o->tuned_active ? conf_list_find(&tuned.list, key) : NULL);
        }
        /* Where a change would show: each directory (a file added or
         * removed), each file read (edited in place), and active_profile. */
        for (size_t i = 0; sysctl_dirs[i]; i++)
                stamp_add(o, root_fd, sysctl_dirs[i]);
        stamp_add(o, root_fd, SYSCTL_CONF);
        stamp_add(o, root_fd, TUNED_ACTIVE_PROFILE);
        for (size_t i = 0; i < sysctl.n_files; i++)
                stamp_add(o, root_fd, sysctl.files[i]);
        for (size_t i = 0; i < tuned.list.n_files; i++)
                stamp_add(o, root_fd, tuned.list.files[i]);

        r = errors_take(o, &sysctl);
        if (r < 0)
                return r;
        return errors_take(o, &tuned.list);
}

const OwnerClaim *owners_claim(const Owners *o, TunableId id, const char **ret_who) {
        if ((unsigned) id >= _TUNABLE_MAX)
                return NULL;
        /* TuneD's reapply_sysctl (on by default) writes sysctl.d's values
         * again after its profile: those win where both set a key. */
        if (o->sysctl[id].set) {
                *ret_who = "sysctl.d";
                return &o->sysctl[id];
        }
        if (o->tuned[id].set) {
                *ret_who = "TuneD";
                return &o->tuned[id];
        }
        return NULL;
}

KnobHold owners_hold(const Owners *o, const Policy *p, TunableId id, char *reason, size_t size) {
        const OwnerClaim *c;
        const char *who = NULL;

        if (size > 0)
                reason[0] = 0;
        if ((unsigned) id >= _TUNABLE_MANAGED_MAX || p->tunables[id].mode == TUNABLE_MODE_UNMANAGED)
                return KNOB_HOLD_NONE;
        if (o->track[id].backed_off) {
                snprintf(reason, size, "%s", o->track[id].backed_off_reason);
                return KNOB_HOLD_BACKED_OFF;
        }
        c = owners_claim(o, id, &who);
        if (!c)
                return KNOB_HOLD_MANAGED;
        if (p->tunables[id].take_over) {
                snprintf(reason, size,
                         "taken over from %s (%s:%u sets %s): the policy says take_over = true", who,
                         c->file, c->line, c->value);
                return KNOB_HOLD_TAKEN;
        }
        snprintf(reason, size, "left to %s (%s:%u sets %s); take_over = true in the policy takes it over",
                 who, c->file, c->line, c->value);
        return KNOB_HOLD_LEFT;
}

static bool claim_equals(const OwnerClaim *c, uint64_t value) {
        uint64_t v;

        return c->set && parse_u64_full(c->value, &v) >= 0 && v == value;
}

const char *owners_attribute(const Owners *o, TunableId id, uint64_t value, char *buf, size_t size) {
        if ((unsigned) id >= _TUNABLE_MAX)
                return NULL;
        if (claim_equals(&o->sysctl[id], value))
                snprintf(buf, size, "the value %s:%u sets (sysctl --system, systemd-sysctl?)",
                         o->sysctl[id].file, o->sysctl[id].line);
        else if (claim_equals(&o->tuned[id], value))
                snprintf(buf, size, "the value TuneD's profile %s sets (%s:%u)", o->tuned_profile,
                         o->tuned[id].file, o->tuned[id].line);
        else
                return NULL;
        return buf;
}

bool owners_note_flip(Owners *o, TunableId id, uint64_t value, uint64_t now, const char *attributed) {
        OwnerTrack *t;

        if ((unsigned) id >= _TUNABLE_MANAGED_MAX)
                return false;
        t = &o->track[id];
        if (t->backed_off)
                return false;
        /* Only the changes within the window count. */
        while (t->n_flips > 0 && now - t->flips[0] > OWNERS_FIGHT_WINDOW_USEC) {
                memmove(t->flips, t->flips + 1, (t->n_flips - 1) * sizeof(uint64_t));
                t->n_flips--;
        }
        if (t->n_flips == OWNERS_FIGHT_FLIPS) {
                memmove(t->flips, t->flips + 1, (t->n_flips - 1) * sizeof(uint64_t));
                t->n_flips--;
        }
        t->flips[t->n_flips++] = now;
        if (t->n_flips < OWNERS_FIGHT_FLIPS)
                return false;
        t->backed_off = true;
        snprintf(t->backed_off_reason, sizeof(t->backed_off_reason),
                 "backed off: changed from outside %u times within %" PRIu64 " min (last to %" PRIu64
                 ", %s); "
                 "left to that tool until the next reload",
                 OWNERS_FIGHT_FLIPS, OWNERS_FIGHT_WINDOW_USEC / (60 * USEC_PER_SEC), value,
                 attributed ?: "by an unknown writer");
        return true;
}

void owners_reset_fights(Owners *o) {
        memset(o->track, 0, sizeof(o->track));
}

void owners_effective_policy(const Owners *o, const Policy *p, Policy *ret) {
        *ret = *p;
        for (TunableId id = 0; id < _TUNABLE_MANAGED_MAX; id++) {
                char reason[8];
                KnobHold h = owners_hold(o, p, id, reason, sizeof(reason));

                if (h == KNOB_HOLD_LEFT || h == KNOB_HOLD_BACKED_OFF)
                        ret->tunables[id].mode = TUNABLE_MODE_UNMANAGED;
        }
}

void owners_text(FILE *f, const Owners *o, const Policy *p) {
        bool any = false;

        fputs("\nOwners (sysctl.d, TuneD):\n", f);
        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                const char *who = NULL;
                const OwnerClaim *c;
                char reason[320];
                KnobHold h;

                if (!sysctl_key(id))
                        continue;
                c = owners_claim(o, id, &who);
                h = owners_hold(o, p, id, reason, sizeof(reason));
                if (!c && h == KNOB_HOLD_NONE)
                        continue;
                any = true;
                fprintf(f, "  %-24s %-16s", tunable_info(id)->name, knob_hold_to_string(h));
                if (c)
                        fprintf(f, " %s %s:%u = %s", who, c->file, c->line, c->value);
                fputc('\n', f);
        }
        if (!any)
                fputs("  (no knob is managed or set elsewhere)\n", f);
        if (o->tuned_profile[0])
                fprintf(f, "  TuneD profile: %s (%s)\n", o->tuned_profile,
                        o->tuned_active ? "applied" : "tuned neither runs nor is enabled");
        fputs("Peers:", f);
        any = false;
        for (PeerId id = 0; id < _PEER_MAX; id++)
                if (o->peers.pid[id] > 0) {
                        fprintf(f, "%s %s (PID %d)", any ? "," : "", peer_name(id), (int) o->peers.pid[id]);
                        any = true;
                }
        if (!any)
                fputs(" none", f);
        if (o->peers.n_kubepods > 0)
                fprintf(f, "; %zu process%s in kubelet pods", o->peers.n_kubepods,
                        o->peers.n_kubepods == 1 ? "" : "es");
        fputc('\n', f);
        for (size_t i = 0; i < o->n_errors; i++)
                fprintf(f, "  error: %s\n", o->errors[i]);
}

static void claim_json(JsonWriter *w, const char *key, const OwnerClaim *c) {
        if (!c->set) {
                json_null(w, key);
                return;
        }
        json_object_begin(w, key);
        json_string(w, "file", c->file);
        json_u64(w, "line", c->line);
        json_string(w, "value", c->value);
        json_object_end(w);
}

void owners_json(JsonWriter *w, const Owners *o, const Policy *p) {
        json_object_begin(w, "owners");
        json_array_begin(w, "knobs");
        for (TunableId id = 0; id < _TUNABLE_MAX; id++) {
                const char *who = NULL;
                const OwnerClaim *c;
                char reason[320];

                if (!sysctl_key(id))
                        continue;
                c = owners_claim(o, id, &who);
                json_object_begin(w, NULL);
                json_string(w, "name", tunable_info(id)->name);
                json_string(w, "owner", c ? who : NULL);
                claim_json(w, "sysctl_d", &o->sysctl[id]);
                claim_json(w, "tuned", &o->tuned[id]);
                if (p) {
                        KnobHold h = owners_hold(o, p, id, reason, sizeof(reason));
                        json_string(w, "state", knob_hold_to_string(h));
                        json_string(w, "reason", reason);
                }
                json_object_end(w);
        }
        json_array_end(w);
        json_string(w, "tuned_profile", o->tuned_profile[0] ? o->tuned_profile : NULL);
        json_bool(w, "tuned_active", o->tuned_active);
        json_array_begin(w, "peers");
        for (PeerId id = 0; id < _PEER_MAX; id++) {
                if (o->peers.pid[id] == 0)
                        continue;
                json_object_begin(w, NULL);
                json_string(w, "name", peer_name(id));
                json_u64(w, "pid", (uint64_t) o->peers.pid[id]);
                json_object_end(w);
        }
        json_array_end(w);
        json_u64(w, "kubepods_processes", o->peers.n_kubepods);
        json_array_begin(w, "errors");
        for (size_t i = 0; i < o->n_errors; i++)
                json_string(w, NULL, o->errors[i]);
        json_array_end(w);
        json_object_end(w);
}
