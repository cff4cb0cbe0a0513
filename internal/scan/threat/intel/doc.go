// Package intel loads threat lists and trusted lists and answers "is this
// domain or IP listed?" for the threat detectors.
//
// # List format
//
// Lists use Amazon GuardDuty's plain-text format: one entry per line, where an
// entry is an IPv4 or IPv6 address, a CIDR block, or a domain name. Lines
// starting with '#' are comments, text after " #" is a trailing comment, blank
// lines are ignored, and surrounding whitespace, a UTF-8 byte-order mark and
// CRLF line endings are tolerated:
//
//	# my feed
//	203.0.113.7
//	198.51.100.0/24
//	2001:db8::/32
//	evil.example.com
//	*.bad.example
//	.worse.example
//
// A domain entry matches the name itself and every subdomain of it, as
// GuardDuty's DNS findings do: "evil.example.com" matches
// "evil.example.com" and "a.b.evil.example.com". The spellings "*.example.com"
// and ".example.com" are accepted and mean the same thing. Names are compared
// case-insensitively with any trailing dot removed; internationalised names
// must be given in punycode ("xn--...") because they are compared as given.
// A bare domain needs at least two labels (a lone word is almost always a
// mistake); a single label such as a top-level domain may be listed only with
// the wildcard spelling ("*.zip"). CIDR blocks with host bits set are masked.
//
// # Threat and trusted lists
//
// A [Set] combines threat lists with trusted lists. A trusted entry overrides
// every threat entry it covers: a trusted CIDR containing the IP, or a trusted
// domain equal to or a parent of the queried name.
//
// # Cached feeds
//
// [Update] downloads users' feeds (http, https or file URLs, or local paths)
// into a cache directory with conditional requests, validating each feed with
// [Parse] before it replaces the previous copy; [Cached] loads them back.
package intel
