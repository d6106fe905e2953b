package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// A Resume is what a reconnection with Last-Event-ID got (HTML §9.2.3: a
// client that reconnects sends the last event ID it saw, so that the
// server can go on after it), measured against a client that stayed
// connected: sseconform reads a few events, disconnects, stays away until
// the continuous client has seen more events published, and reconnects with
// the last id it had.
type Resume struct {
	LastEventID string `json:"lastEventId"`
	// Before are the ids the client had when it went away.
	Before []string `json:"before"`
	AwayMs float64  `json:"awayMs"`
	// Published are the ids that the continuous client got after
	// LastEventID while the other was away.
	Published []string `json:"published"`
	// Reconnection is what the reconnection got.
	Reconnection *directRead `json:"reconnection,omitempty"`
	// Repeated are ids of the reconnection that the client had already,
	// and Lost the ids published while it was away that the reconnection
	// did not bring.
	Repeated []string `json:"repeated,omitempty"`
	Lost     []string `json:"lost,omitempty"`
	// Unchecked says why the check could not be made, or "".
	Unchecked string `json:"unchecked,omitempty"`
}

// resumeAway is how many events the continuous client must see published
// before the reconnection.
const resumeAway = 3

// checkResume measures resumption, for a stream whose events carry ids.
func checkResume(ctx context.Context, cfg *config, target string) *Resume {
	window := cfg.duration
	contCtx, stopCont := context.WithCancel(ctx)
	defer stopCont()
	contDone := make(chan *directRead, 1)
	var cont *directRead
	started := make(chan *directRead, 1)
	go func() {
		r := readDirect(contCtx, "continuous", target, "", func(r *directRead) bool {
			select {
			case started <- r:
			default:
			}
			return false
		})
		contDone <- r
	}()
	select {
	case cont = <-started:
	case r := <-contDone:
		return &Resume{Unchecked: "the continuous client got no event: " + describeRead(r)}
	case <-time.After(window):
		return &Resume{Unchecked: fmt.Sprintf("the continuous client got no event in %v", window)}
	}

	// The first connection of the client that goes away: a few events.
	firstCtx, cancel := context.WithTimeout(ctx, window)
	first := readDirect(firstCtx, "before", target, "", func(r *directRead) bool { return len(r.Events) >= 3 })
	cancel()
	res := &Resume{}
	for _, e := range first.Events {
		res.Before = append(res.Before, e.ID)
	}
	if len(first.Events) == 0 || first.Events[len(first.Events)-1].ID == "" {
		res.Unchecked = "the first connection got no event with an id: " + describeRead(first)
		return res
	}
	res.LastEventID = first.Events[len(first.Events)-1].ID

	// Away until the continuous client has seen resumeAway events after
	// the last id, or the window ends.
	away := time.Now()
	after := func() []string {
		ids := cont.ids()
		if i := slices.Index(ids, res.LastEventID); i >= 0 {
			return ids[i+1:]
		}
		return nil
	}
	var contEnded *directRead
wait:
	for time.Since(away) < window && len(after()) < resumeAway && ctx.Err() == nil {
		select {
		case contEnded = <-contDone:
			break wait // the stream ended: nothing more comes
		case <-time.After(20 * time.Millisecond):
		}
	}
	res.AwayMs = float64(time.Since(away).Milliseconds())
	res.Published = after()
	if !slices.Contains(cont.ids(), res.LastEventID) {
		res.Unchecked = fmt.Sprintf("the continuous client saw no event with id %q (ids %s): the connections do not share their events, so loss cannot be measured", res.LastEventID, idList(cont.ids()))
	} else if len(res.Published) == 0 && contEnded != nil {
		res.Unchecked = fmt.Sprintf("the stream ended after %d events without publishing more, so loss cannot be measured", len(contEnded.Events))
	} else if len(res.Published) == 0 {
		res.Unchecked = fmt.Sprintf("no event was published in %.0f ms away, so loss cannot be measured", res.AwayMs)
	}
	seenByCont := len(cont.ids())

	// The reconnection: until it has every event published while away,
	// or has gone past them (an event that the continuous client got
	// after the reconnection began), or the window ends.
	reCtx, cancel := context.WithTimeout(ctx, window)
	defer cancel()
	limit := len(res.Before) + len(res.Published) + cfg.maxEvents
	full := false // the reconnection stopped at limit, still sending
	res.Reconnection = readDirect(reCtx, "reconnection", target, res.LastEventID, func(r *directRead) bool {
		got := map[string]bool{}
		for _, e := range r.Events {
			got[e.ID] = true
		}
		all := true
		for _, id := range res.Published {
			all = all && got[id]
		}
		later := cont.ids()[seenByCont:]
		past := slices.ContainsFunc(later, func(id string) bool { return got[id] })
		full = !all && !past && len(r.Events) >= limit
		return all || past || full
	})
	stopCont()
	if contEnded == nil {
		<-contDone
	}

	re := res.Reconnection
	if re.Status != 200 {
		res.Unchecked = "the reconnection failed: " + describeRead(re)
		return res
	}
	got := map[string]bool{}
	for _, e := range re.Events {
		got[e.ID] = true
		if e.ID != "" && slices.Contains(res.Before, e.ID) && !slices.Contains(res.Repeated, e.ID) {
			res.Repeated = append(res.Repeated, e.ID)
		}
	}
	if full && res.Unchecked == "" {
		res.Unchecked = fmt.Sprintf("the reconnection sent %d events without reaching those published while away; sseconform stopped reading it there", len(re.Events))
	}
	if res.Unchecked == "" {
		for _, id := range res.Published {
			if !got[id] {
				res.Lost = append(res.Lost, id)
			}
		}
	}
	return res
}

// describeRead says in a few words what a direct read got.
func describeRead(r *directRead) string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Status != 200:
		return fmt.Sprintf("status %d", r.Status)
	}
	return fmt.Sprintf("%d events, %d bytes in %.0f ms", len(r.Events), r.Bytes, r.EndMs)
}

// firstIDs is the ids of the first n events of r.
func firstIDs(r *directRead, n int) []string {
	var ids []string
	for _, e := range r.Events[:min(n, len(r.Events))] {
		ids = append(ids, e.ID)
	}
	return ids
}
