package schedule

// Effect is what handling a change did to its entity.
type Effect string

// The effects of a change.
const (
	// EffectApplied: the change was newer than the entity's recorded stamp
	// and was pushed to the schedule API.
	EffectApplied Effect = "applied"
	// EffectStale: the change was not newer than the entity's recorded
	// stamp (a redelivery, or an event that arrived after a newer one), so
	// nothing was pushed for it.
	EffectStale Effect = "stale"
	// EffectSuperseded: the change was newer than the stored stamp, but a
	// newer change of the same entity came later in the same coalesced
	// chunk and replaced it before the push. Like a stale change it never
	// reaches the API on its own; the entity ends in the newer state, as it
	// would have after both pushes.
	EffectSuperseded Effect = "superseded"
)

// effectOf names the effect of a change Apply did or did not make.
func effectOf(changed bool) Effect {
	if changed {
		return EffectApplied
	}
	return EffectStale
}
