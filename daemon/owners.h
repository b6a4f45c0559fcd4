/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "json.h"
#include "peers.h"
#include "policy.h"
#include "tunable.h"

/* Who else sets the knobs memtuned manages: sysctl.d files, TuneD's active
 * profile; which other memory managers run (peers.h). A knob another tool
 * sets is left to it unless the policy says take_over = true; a knob that
 * keeps being changed from outside while memtuned manages it is handed back
 * (a fight: OWNERS_FIGHT_FLIPS changes within OWNERS_FIGHT_WINDOW_USEC). */

/* Three outside changes in ten minutes: one is an administrator's sysctl or
 * a `sysctl --system`, two can be a profile switch and its reapply of
 * sysctl.d; a third within minutes is a tool that rewrites the value on its
 * own schedule, and writing it again and again helps no one. */
#define OWNERS_FIGHT_FLIPS 3u
#define OWNERS_FIGHT_WINDOW_USEC (10 * 60 * USEC_PER_SEC)

/* One configuration that sets a knob: where, and the value as written. */
typedef struct OwnerClaim {
        bool set;
        char file[256]; /* as the host names it */
        unsigned line;
        char value[64];
} OwnerClaim;

typedef enum KnobHold {
        KNOB_HOLD_NONE,       /* the policy does not manage it: memtuned never writes it */
        KNOB_HOLD_MANAGED,    /* memtuned manages it, no one else sets it */
        KNOB_HOLD_LEFT,       /* another tool sets it: left to it (no take_over) */
        KNOB_HOLD_TAKEN,      /* another tool sets it, the policy takes it over */
        KNOB_HOLD_BACKED_OFF, /* changed from outside again and again: handed back */
        _KNOB_HOLD_MAX,
} KnobHold;

/* "unmanaged", "managed", "owned-elsewhere", "taken-over", "backed-off". */
const char *knob_hold_to_string(KnobHold h);

typedef struct OwnerTrack {
        uint64_t flips[OWNERS_FIGHT_FLIPS]; /* CLOCK_MONOTONIC of the latest outside changes, oldest first */
        size_t n_flips;
        bool backed_off; /* until the next reload */
        char backed_off_reason[256];
} OwnerTrack;

/* What a file or directory the owners came from looked like when they were
 * read: a later stat() that differs means they may have changed. 64 covers
 * the five sysctl.d directories, their files and a profile chain on any
 * real host; beyond it every check says "changed". */
#define OWNERS_STAMPS_MAX 64
typedef struct OwnerStamp {
        char path[128]; /* relative to the configuration root */
        bool exists;
        dev_t dev;
        ino_t ino;
        int64_t mtime_nsec;
        int64_t size;
} OwnerStamp;

typedef struct Owners {
        OwnerClaim sysctl[_TUNABLE_MAX]; /* the sysctl.d (or sysctl.conf) setting that wins at boot */
        OwnerClaim tuned[_TUNABLE_MAX];  /* the TuneD profile's */
        char tuned_profile[128];         /* active_profile's names, space-separated; "": none */
        bool tuned_active;               /* tuned runs or is enabled: its profile applies */
        Peers peers;
        char **errors; /* "FILE:LINE: message" from both parsers */
        size_t n_errors;
        OwnerStamp stamps[OWNERS_STAMPS_MAX];
        size_t n_stamps;
        bool stamps_overflow;
        OwnerTrack track[_TUNABLE_MANAGED_MAX];
} Owners;

/* Reads sysctl.d, sysctl.conf and TuneD below root_fd and the peers below
 * proc_fd (-1: keeps the peers found before) into o, keeping o->track.
 * Unusable files become o->errors and change nothing else. Returns 0 or
 * -ENOMEM. */
int owners_detect(Owners *o, int root_fd, int proc_fd);

/* Whether any file or directory the owners were read from (the sysctl.d
 * directories and files, sysctl.conf, TuneD's active_profile and profiles)
 * looks different now: a stat() each, no allocation, so the daemon's tick
 * may ask. */
bool owners_changed(const Owners *o, int root_fd);

/* Frees the error list; o stays usable (zeroed but for track). */
void owners_done(Owners *o);

/* The claim that decides who owns id (sysctl.d, which TuneD's default
 * reapply_sysctl applies again after its profile, else TuneD's while it runs
 * or is enabled), and its tool's name ("sysctl.d", "TuneD"). NULL: no one. */
const OwnerClaim *owners_claim(const Owners *o, TunableId id, const char **ret_who);

/* What memtuned does with id under policy p, with the reason in words when
 * not simply managed or unmanaged. */
KnobHold owners_hold(const Owners *o, const Policy *p, TunableId id, char *reason, size_t size);

/* Whether value equals what a sysctl.d file or the TuneD profile sets for
 * id: names the source ("sysctl.d /etc/sysctl.d/60-swap.conf:2", ...) in
 * buf; NULL when neither. */
const char *owners_attribute(const Owners *o, TunableId id, uint64_t value, char *buf, size_t size);

/* Counts an outside change of id (to value, at now) while memtuned manages
 * it. Returns true when this change makes a fight (OWNERS_FIGHT_FLIPS within
 * OWNERS_FIGHT_WINDOW_USEC): then id is backed off until the next reload,
 * with the reason in the track. */
bool owners_note_flip(Owners *o, TunableId id, uint64_t value, uint64_t now, const char *attributed);

/* Forgets the fights (a reload: the administrator may have settled them). */
void owners_reset_fights(Owners *o);

/* The policy to steer by: *ret is a shallow copy of p (sharing its
 * strings and rules, valid while p is) with every knob that is left to
 * another tool or backed off made unmanaged. */
void owners_effective_policy(const Owners *o, const Policy *p, Policy *ret);

/* A few lines for people (memtuned --once): each managed-by-policy or
 * claimed knob with its state and owner, the peers, the errors. */
void owners_text(FILE *f, const Owners *o, const Policy *p);

/* Writes "owners": {...} into the JSON object w is in: per knob its hold,
 * owner, claims and reason under p (NULL: without a policy, claims only),
 * the peers and the errors. */
void owners_json(JsonWriter *w, const Owners *o, const Policy *p);
