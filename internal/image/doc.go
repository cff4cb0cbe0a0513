// Package image writes root filesystems as reproducible OCI images and
// keeps them in a local image store.
//
// WriteLayer turns a directory into one tar layer whose digest depends
// only on the tree (paths, contents, modes, owners, links), never on
// mtimes or the order files were created in. Store holds one OCI image
// layout plus a catalogue (catalogue.json) of names and their history,
// channels, ancestry and revocations; attachments such as an SBOM or a
// findings report are stored as OCI 1.1 artifact manifests whose subject
// is the image (referrers), listed in index.json beside the images.
//
// The layout's index.json is rendered from the catalogue on every change:
// the newest image of each name carries org.opencontainers.image.ref.name
// NAME, each channel NAME@CHANNEL, and older images NAME@sha256:HEX, so
// rootfs.OpenOCI(store.LayoutPath(), NAME) and the "oci:DIR:NAME@CHANNEL"
// target form both work.
package image
