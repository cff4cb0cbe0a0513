package dashboard

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/image"
	"github.com/secpipe/secpipe/internal/pipeline"
)

// imageRow is one image (by digest) with every name it has.
type imageRow struct {
	Digest      string
	Names       []string
	Channels    []string
	Parent      string
	Revoked     *image.Revocation
	Published   string
	Attachments []attachmentView
}

// attachmentView is a file attached to an image (its SBOM, its scan
// report) with the link that downloads it.
type attachmentView struct {
	Label string
	Title string
	Type  string
	Size  int64
	URL   string
}

// attachmentLabel names an attachment by its artifact type.
func attachmentLabel(a image.AttachmentInfo) string {
	switch a.ArtifactType {
	case "application/vnd.cyclonedx+json":
		return "SBOM (CycloneDX)"
	case "application/spdx+json":
		return "SBOM (SPDX)"
	case "application/vnd.secpipe.report+json":
		return "Scan report"
	}
	return a.Title
}

// attachmentViews lists an image's attachments with their links.
func attachmentViews(im image.Image) []attachmentView {
	out := make([]attachmentView, 0, len(im.Attachments))
	for _, a := range im.Attachments {
		out = append(out, attachmentView{Label: attachmentLabel(a), Title: a.Title, Type: a.ArtifactType, Size: a.Size,
			URL: "/images/" + url.PathEscape(im.Digest) + "/attachments/" + url.PathEscape(a.Digest)})
	}
	return out
}

// imagesData fills the images page.
type imagesData struct {
	Images []imageRow
}

// imagesPage lists the published images, newest first.
func (d *Dashboard) imagesPage(w http.ResponseWriter, r *http.Request, ss *session) {
	list, err := d.cfg.Images.List(r.Context())
	if err != nil {
		d.fail(w, r, ss, err)
		return
	}
	d.render(w, r, ss, http.StatusOK, "images", "Images", imagesData{Images: groupImages(list)})
}

// groupImages merges the per-name entries of List into one row per
// digest, newest published first.
func groupImages(list []image.Image) []imageRow {
	byDigest := map[string]*imageRow{}
	published := map[string]int64{}
	var order []string
	for _, im := range list {
		row, ok := byDigest[im.Digest]
		if !ok {
			row = &imageRow{Digest: im.Digest, Parent: im.Parent, Revoked: im.Revoked, Published: formatTime(im.Published),
				Attachments: attachmentViews(im)}
			byDigest[im.Digest] = row
			published[im.Digest] = im.Published.UnixNano()
			order = append(order, im.Digest)
		}
		row.Names = append(row.Names, im.Name)
		for _, c := range im.Channels {
			row.Channels = append(row.Channels, im.Name+"@"+c)
		}
	}
	slices.SortStableFunc(order, func(a, b string) int {
		switch pa, pb := published[a], published[b]; {
		case pa > pb:
			return -1
		case pa < pb:
			return 1
		}
		return strings.Compare(a, b)
	})
	rows := make([]imageRow, 0, len(order))
	for _, dg := range order {
		rows = append(rows, *byDigest[dg])
	}
	return rows
}

// promote puts an image on a channel of one of its names; the form's ref
// is NAME@DIGEST.
func (d *Dashboard) promote(w http.ResponseWriter, r *http.Request, ss *session) {
	ref := strings.TrimSpace(r.PostForm.Get("ref"))
	channel := strings.TrimSpace(r.PostForm.Get("channel"))
	if ref == "" || channel == "" {
		d.failed(w, r, ss, "/images", fmt.Errorf("%w: name the image and the channel", pipeline.ErrInvalid))
		return
	}
	if err := d.cfg.Images.Promote(r.Context(), ref, channel); err != nil {
		d.failed(w, r, ss, "/images", err)
		return
	}
	d.audit(r, ss, "image.promote", ref, "channel "+channel)
	d.done(w, r, ss, "/images", "Promoted "+ref+" to "+channel+".")
}

// revoke marks an image revoked.
func (d *Dashboard) revoke(w http.ResponseWriter, r *http.Request, ss *session) {
	digest := strings.TrimSpace(r.PostForm.Get("digest"))
	reason := strings.TrimSpace(r.PostForm.Get("reason"))
	if digest == "" || reason == "" || len(reason) > maxReasonLen {
		d.failed(w, r, ss, "/images", fmt.Errorf("%w: name the image and give a reason of at most %d characters",
			pipeline.ErrInvalid, maxReasonLen))
		return
	}
	if err := d.cfg.Images.Revoke(r.Context(), digest, reason); err != nil {
		d.failed(w, r, ss, "/images", err)
		return
	}
	d.audit(r, ss, "image.revoke", digest, reason)
	d.done(w, r, ss, "/images", "Revoked "+shortDigest(digest)+".")
}
