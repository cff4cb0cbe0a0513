// Package vulndb is the offline OSV vulnerability database: it compiles
// advisories from files, folders and osv.dev all.zip archives (local or
// fetched over HTTP) into an indexed store on disk, and answers "which
// advisories may affect this package" without parsing the whole database.
//
// # Sources
//
// A database is a set of sources. A source is one thing given to Import (an
// OSV JSON or YAML file, a folder of them walked recursively, or an all.zip)
// or to Update (an http, https or file URL of an all.zip; a plain path given
// to Update becomes a file URL). A source is named by its cleaned absolute
// path or its URL. Importing or updating a source replaces that source's
// records and leaves the other sources alone; Remove drops one. Update with
// no source named re-fetches every URL source.
//
// Records are read with osv.ParseLenient. A record that fails is skipped and
// a record's dropped parts are kept out, each with a warning (the
// osv.FieldError naming the file, "ZIP:member" inside an archive, and the
// field) passed to the Warn callback and counted in the manifest. Withdrawn
// records are kept out and counted. When a source holds one ID twice, the
// record with the later modified time wins (the later file on a tie); across
// sources the same rule applies at query time (the source listed first on a
// tie), so a query never returns an ID twice. A withdrawn record hides
// older copies of its ID in the same source only.
//
// Anything that makes a source unreadable (a missing file, an archive that is
// not a zip, is truncated or fails its CRC check, a download that fails or
// is cut short, a source with no parsable record) fails the whole command,
// and the database stays exactly as it was.
//
// # Store layout
//
//	DIR/LOCK                   flock(2)ed by Import, Update and Remove; they serialize
//	DIR/CURRENT                names the live generation ("gen-123456\n"); replaced by rename
//	DIR/gen-123456/            one generation: the result of one successful command
//	    manifest.json          format version, sources, counts, timestamps (see Manifest)
//	    0123456789abcdef.src   one compiled file per source (name: hash of the source name)
//	DIR/download-*             a download in progress
//
// A command takes the lock, builds a new generation directory beside the
// live one (hard-linking the compiled files of the sources it leaves alone,
// copying them where links fail), syncs it, then renames a new CURRENT into
// place, and only then removes the previous generation. Directories and
// downloads that CURRENT does not name are leftovers of a crash or of a
// failed command: readers ignore them and the next command removes them. An
// Update that finds every source unchanged (HTTP 304, or the same SHA-256)
// makes no generation: it rewrites the live manifest by rename to record the
// check time.
//
// A compiled source file is a 64-byte header, the records, then the index:
//
//	header   magic "SPVDBSRC", format version, record/key/posting counts,
//	         index offset and length, CRC-32C of the index
//	records  each parsed *osv.Vulnerability in a compact binary form (record.go),
//	         back to back
//	index    per record: offset, length, ID, modified time;
//	         per key, sorted: "ECOSYSTEM\x00NAME" and its postings (record numbers);
//	         then the strings the two tables point into
//
// Keys use each affected entry's ecosystem as the advisory writes it
// ("Debian:9", "Debian", "Go"); PyPI names are PEP 503 normalised. Open
// reads the manifest and each source's index (validated, so a damaged file
// is an error rather than a panic) and keeps the files open; a lookup binary
// searches the keys and reads and decodes only the records it returns, which
// the DB then caches. An open DB keeps working while a command replaces the
// generation under it: the files it holds stay readable after removal.
//
// # Concurrency
//
// Import, Update and Remove may run from several processes at once: the lock
// makes them take turns. Open needs no lock. A DB is safe for concurrent use
// until Close.
package vulndb
