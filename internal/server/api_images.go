package server

import (
	"net/http"

	"github.com/secpipe/secpipe/internal/image"
)

// images returns the image store, or a 404 when the server has none.
func (s *Server) images() (*image.Store, error) {
	if s.cfg.Images == nil {
		return nil, errorf(http.StatusNotFound, "not_found", "this server keeps no image store (start it with --images DIR)")
	}
	return s.cfg.Images, nil
}

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	imgs, err := st.List(r.Context())
	if err != nil {
		return err
	}
	if imgs == nil {
		imgs = []image.Image{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"images": imgs})
}

func (s *Server) inspectImage(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	img, err := st.Inspect(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, img)
}

// promoteRequest is the body of POST /images/{digest}/promote.
type promoteRequest struct {
	Channel string `json:"channel"`
}

func (s *Server) promoteImage(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	var req promoteRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ref := r.PathValue("digest")
	if err := st.Promote(r.Context(), ref, req.Channel); err != nil {
		return err
	}
	img, err := st.Inspect(r.Context(), ref)
	if err != nil {
		return err
	}
	s.audit(r, "image.promote", img.Digest, "channel "+req.Channel)
	return writeJSON(w, http.StatusOK, img)
}

// revokeRequest is the body of POST /images/{digest}/revoke.
type revokeRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) revokeImage(w http.ResponseWriter, r *http.Request) error {
	st, err := s.images()
	if err != nil {
		return err
	}
	var req revokeRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ref := r.PathValue("digest")
	if err := st.Revoke(r.Context(), ref, req.Reason); err != nil {
		return err
	}
	img, err := st.Inspect(r.Context(), ref)
	if err != nil {
		return err
	}
	s.audit(r, "image.revoke", img.Digest, req.Reason)
	return writeJSON(w, http.StatusOK, img)
}
