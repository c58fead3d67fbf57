package capture

import (
	"slices"
	"sync"
)

// MediaStream is an ordered set of tracks
// (https://w3c.github.io/mediacapture-main/#mediastream). It holds tracks; it
// does not own them: removing a track does not stop it.
type MediaStream struct {
	id string

	mu     sync.Mutex // protects tracks
	tracks []*MediaStreamTrack
}

// NewMediaStream returns a stream of the given tracks (duplicates are kept
// once).
func NewMediaStream(tracks ...*MediaStreamTrack) *MediaStream {
	s := &MediaStream{id: newID()}
	for _, t := range tracks {
		s.AddTrack(t)
	}
	return s
}

// ID is the stream's unique id.
func (s *MediaStream) ID() string { return s.id }

// GetTracks returns every track, audio first, as the spec orders them.
func (s *MediaStream) GetTracks() []*MediaStreamTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*MediaStreamTrack, 0, len(s.tracks))
	for _, kind := range []string{TrackKindAudio, TrackKindVideo} {
		for _, t := range s.tracks {
			if t.c.kind == kind {
				out = append(out, t)
			}
		}
	}
	return out
}

func (s *MediaStream) tracksOf(kind string) []*MediaStreamTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*MediaStreamTrack
	for _, t := range s.tracks {
		if t.c.kind == kind {
			out = append(out, t)
		}
	}
	return out
}

// GetAudioTracks returns the audio tracks.
func (s *MediaStream) GetAudioTracks() []*MediaStreamTrack { return s.tracksOf(TrackKindAudio) }

// GetVideoTracks returns the video tracks.
func (s *MediaStream) GetVideoTracks() []*MediaStreamTrack { return s.tracksOf(TrackKindVideo) }

// GetTrackByID returns the track with that id, or nil.
func (s *MediaStream) GetTrackByID(id string) *MediaStreamTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tracks {
		if t.c.id == id {
			return t
		}
	}
	return nil
}

// AddTrack adds t; adding a track already present does nothing. Script
// calls fire no events.
func (s *MediaStream) AddTrack(t *MediaStreamTrack) {
	if t == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.tracks, t) {
		s.tracks = append(s.tracks, t)
	}
}

// RemoveTrack removes t; removing an absent track does nothing.
func (s *MediaStream) RemoveTrack(t *MediaStreamTrack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracks = slices.DeleteFunc(s.tracks, func(x *MediaStreamTrack) bool { return x == t })
}

// Clone returns a new stream with a clone of every track.
func (s *MediaStream) Clone() *MediaStream {
	ts := s.GetTracks()
	clones := make([]*MediaStreamTrack, len(ts))
	for i, t := range ts {
		clones[i] = t.Clone()
	}
	return NewMediaStream(clones...)
}

// Active reports whether any track is live.
func (s *MediaStream) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tracks {
		if t.ReadyState() == StateLive {
			return true
		}
	}
	return false
}
