package schedule

import "bytes"

// Apply applies c to s and reports whether s changed. The caller must pass
// the schedule of c's period.
//
// Apply is idempotent and guards against stale events: c takes effect only
// if its stamp is strictly newer than the stamp recorded on the entity. A
// redelivered event therefore changes nothing, and neither does an event
// that EventBridge delivered after a newer one. A delete leaves a tombstone
// carrying its stamp, so an older upsert arriving after the delete is
// ignored instead of resurrecting the entity.
func Apply(s *Schedule, c Change) (changed bool) {
	if !Applies(*s, c) {
		return false
	}
	if s.Entities == nil {
		s.Entities = map[EntityKey]Entity{}
	}
	next := Entity{Stamp: c.Stamp}
	switch c.Op {
	case Delete:
		next.Deleted = true
	default:
		next.Attributes = bytes.Clone(c.Attributes)
	}
	s.Entities[c.Key] = next
	return true
}

// Applies reports whether Apply(&s, c) would change s: whether c's stamp is
// newer than the stamp recorded on its entity.
func Applies(s Schedule, c Change) bool {
	cur, ok := s.Entities[c.Key]
	return !ok || c.Stamp.After(cur.Stamp)
}
