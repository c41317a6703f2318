package store

import (
	"sync/atomic"
)

// StatsNudge wakes KeepStatisticsFresh early: every nudgeEvery committed
// write transactions of this process. A first sync writes thousands of
// people in the half-minute before the next tick, and every statement it
// prepares meanwhile is planned on the empty tables' statistics; checking
// after every few hundred writes analyzes the tables as they grow (about
// every 20% of growth, so some 25 times on the way to 100,000 rows).
type StatsNudge struct {
	writes atomic.Int64
	c      chan struct{}
}

const nudgeEvery = 500

// wrote counts one committed write transaction.
func (s *StatsNudge) wrote() {
	if s.writes.Add(1)%nudgeEvery == 0 {
		select {
		case s.c <- struct{}{}:
		default: // a check is already due
		}
	}
}

// NewStatsNudge is a nudge no one has pulled yet.
func NewStatsNudge() *StatsNudge { return &StatsNudge{c: make(chan struct{}, 1)} }

// Pulled is ready when nudgeEvery write transactions committed since it
// was last read.
func (s *StatsNudge) Pulled() <-chan struct{} { return s.c }
