package delivery

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		max     time.Duration
	}{
		{0, 30 * time.Second},
		{1, 30 * time.Second},
		{2, time.Minute},
		{3, 2 * time.Minute},
		{7, 32 * time.Minute},
		{8, time.Hour},
		{10, time.Hour},
		{64, time.Hour},
		{1000, time.Hour},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempt), func(t *testing.T) {
			lo := backoff(tt.attempt, func() float64 { return 0 })
			hi := backoff(tt.attempt, func() float64 { return math.Nextafter(1, 0) })
			if lo != tt.max/2 || hi > tt.max || hi < tt.max-time.Millisecond {
				t.Errorf("backoff(%d) spans [%s, %s], want [%s, %s]", tt.attempt, lo, hi, tt.max/2, tt.max)
			}
		})
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("410 gone")
	err := fmt.Errorf("deliver webhook: %w", Permanent(base))
	if !IsPermanent(err) || !errors.Is(err, base) || err.Error() != "deliver webhook: 410 gone" {
		t.Errorf("wrapped permanent error: %v (permanent %v)", err, IsPermanent(err))
	}
	if IsPermanent(base) || Permanent(nil) != nil {
		t.Error("plain errors and nil are not permanent")
	}
}
