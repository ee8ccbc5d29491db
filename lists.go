package paykit

import "time"

// The list types every noun's filter shares.

// TimeFilter selects by a timestamp: whether it is null, and an inclusive
// range (Gigapay's <field>_null, <field>_after and <field>_before).
type TimeFilter struct {
	Null   *bool
	After  *time.Time // at or after
	Before *time.Time // at or before
}

// Cursor is a row's position in a list ordered newest first.
type Cursor struct {
	CreatedAt time.Time
	UID       string
}

// ListPage selects one page of a list ordered newest first: Limit rows after
// (older than) the row at After, or before (newer than) the row at Before, or
// else after skipping Offset rows. Keysets (After, Before) cost the same on
// every page; Offset serves a client that jumps to a page number.
type ListPage struct {
	After  *Cursor
	Before *Cursor
	Offset int
	Limit  int
}
