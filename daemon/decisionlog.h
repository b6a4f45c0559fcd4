/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The MESSAGE_ID of every decision record: `journalctl MESSAGE_ID=...` lists
 * them all. Generated once with `systemd-id128 new`; never change it. */
#define MEMTUNED_DECISION_MESSAGE_ID "301a7168b66240559984fd2a91fc2dd5"

typedef struct Decision Decision;

/* Logs one decision at LOG_INFO. Under the journal it is a structured record
 * with MESSAGE_ID=MEMTUNED_DECISION_MESSAGE_ID and the fields MEMTUNED_TUNABLE,
 * MEMTUNED_OLD, MEMTUNED_NEW, MEMTUNED_SOURCE, MEMTUNED_REASON (the reason
 * without the "name old -> new: " prefix), MEMTUNED_MODE (enforce or
 * observe), MEMTUNED_TRIGGER (what started the decision: trigger, e.g. "psi")
 * and MEMTUNED_REACTION_USEC (from that event to the decision complete, its
 * writes done: reaction_usec); MESSAGE is the plain line. Elsewhere, or when
 * the journal refuses the record, it is the plain line:
 * "[(observe) ]name old -> new: reason". */
void log_decision(const Decision *d, bool observe, const char *trigger, uint64_t reaction_usec);
