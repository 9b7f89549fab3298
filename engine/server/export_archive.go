package server

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"strings"
	"sync"
)

// Reading MinIO's export archive as it arrives. The handler streams a zip archive (Go's
// archive/zip writer: every entry deflated, its sizes and CRC-32 in a data descriptor after the
// data, then the central directory), so the archive can be read front to back: each entry's
// local header names it, the decompressor finds the end of its data, and the data descriptor
// follows. Reading it so, instead of holding the whole answer for archive/zip, keeps only the
// six files per bucket the model is read from: an export of 10,000 configured buckets is about
// 15 MB of archive (mostly headers: eight entries per bucket, three of them read) but about
// 7 MB of those files, and the zip.Reader's record of every entry (80,000 of them, 20 MB more
// while it was built) is never made.
//
// The archive is still checked as a whole, as archive/zip would: every entry named
// BUCKET/FILE, every CRC-32 and size as the data descriptor says, then the central directory
// entry by entry against what was read (name, CRC-32, sizes, where its local header was), and
// the end of the directory with the number of entries. An answer that fails any check is not
// the archive MinIO sends; a file whose content does not match its CRC-32 is an error for its
// bucket (Bucket returns it), as archive/zip reports it when the file is opened.

// Signatures of the zip records, little-endian.
const (
	sigLocal        = 0x04034b50
	sigCentral      = 0x02014b50
	sigDescriptor   = 0x08074b50
	sigEnd          = 0x06054b50
	sigEnd64        = 0x06064b50
	sigEnd64Locator = 0x07064b50
)

// archiveReader reads the answer through a buffer, counting the bytes consumed, and serves the
// decompressor byte by byte (io.ByteReader), so that the decompressor takes exactly one entry's
// data and no more. err keeps a failure of the answer itself (not io.EOF), which is not a fault
// of the archive: the caller retries it as any failed request.
type archiveReader struct {
	r   io.Reader
	buf []byte
	i   int   // next byte in buf
	n   int   // bytes in buf
	off int64 // offset in the answer of buf[0]
	eof bool
	err error
}

func newArchiveReader(r io.Reader) *archiveReader {
	return &archiveReader{r: r, buf: make([]byte, 64<<10)}
}

// offset returns the offset in the answer of the next byte.
func (a *archiveReader) offset() int64 { return a.off + int64(a.i) }

// fill reads more of the answer into the buffer, growing it to hold at least want bytes from
// a.i; it reports whether any byte was added.
func (a *archiveReader) fill(want int) bool {
	if a.eof || a.err != nil {
		return false
	}
	if a.i > 0 {
		copy(a.buf, a.buf[a.i:a.n])
		a.n -= a.i
		a.off += int64(a.i)
		a.i = 0
	}
	if want > len(a.buf) {
		a.buf = append(a.buf[:a.n], make([]byte, want-a.n)...)[:want]
	}
	for {
		m, err := a.r.Read(a.buf[a.n:])
		a.n += m
		switch {
		case err == io.EOF:
			a.eof = true
			return m > 0
		case err != nil:
			a.err = err
			return m > 0
		case m > 0:
			return true
		}
	}
}

// peek returns the next n bytes without consuming them; fewer at the end of the answer, with
// io.ErrUnexpectedEOF.
func (a *archiveReader) peek(n int) ([]byte, error) {
	for a.n-a.i < n {
		if !a.fill(n) {
			return a.buf[a.i:a.n], io.ErrUnexpectedEOF
		}
	}
	return a.buf[a.i : a.i+n], nil
}

// next consumes and returns the next n bytes (valid until the next read).
func (a *archiveReader) next(n int) ([]byte, error) {
	b, err := a.peek(n)
	if err != nil {
		return nil, err
	}
	a.i += n
	return b, nil
}

func (a *archiveReader) ReadByte() (byte, error) {
	if a.i == a.n && !a.fill(1) {
		return 0, io.ErrUnexpectedEOF
	}
	b := a.buf[a.i]
	a.i++
	return b, nil
}

func (a *archiveReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if a.i == a.n && !a.fill(1) {
		return 0, io.EOF
	}
	n := copy(p, a.buf[a.i:a.n])
	a.i += n
	return n, nil
}

// entryRecord is what the central directory must say about one entry that was read.
type entryRecord struct {
	name         uint64 // FNV-1a of the name
	offset       int64  // of the local header
	crc          uint32
	csize, usize uint64
}

func nameHash(name []byte) uint64 {
	h := fnv.New64a()
	h.Write(name)
	return h.Sum64()
}

// flateReaders reuses decompressors: an export of every bucket holds tens of thousands of
// small entries, and a new decompressor for each would allocate gigabytes.
var flateReaders sync.Pool

// readExport reads an export archive front to back (see above) and keeps, per bucket, the
// files the model is read from.
func readExport(a *archiveReader) (*Export, error) {
	exp := &Export{buckets: map[string]*bucketFiles{}}
	var (
		records []entryRecord
		arena   []byte // the kept files are cut from blocks of this
		out     bytes.Buffer
		scratch = make([]byte, 8<<10)
	)
	keep := func(b []byte) []byte {
		if len(b) > cap(arena)-len(arena) {
			arena = make([]byte, 0, max(256<<10, len(b)))
		}
		start := len(arena)
		arena = append(arena, b...)
		return arena[start:len(arena):len(arena)]
	}
	for {
		at := a.offset()
		sig, err := a.peek(4)
		if err != nil {
			return nil, fmt.Errorf("the archive ends at byte %d, before its directory", at)
		}
		switch binary.LittleEndian.Uint32(sig) {
		case sigLocal:
		case sigCentral:
			if err := readDirectory(a, records); err != nil {
				return nil, err
			}
			exp.size = a.offset()
			return exp, nil
		default:
			return nil, fmt.Errorf("the archive holds something that is not a zip entry at byte %d", at)
		}
		h, err := a.next(30)
		if err != nil {
			return nil, fmt.Errorf("the archive ends inside an entry's header at byte %d", at)
		}
		flags := binary.LittleEndian.Uint16(h[6:])
		method := binary.LittleEndian.Uint16(h[8:])
		crc := binary.LittleEndian.Uint32(h[14:])
		csize := uint64(binary.LittleEndian.Uint32(h[18:]))
		usize := uint64(binary.LittleEndian.Uint32(h[22:]))
		nameLen, extraLen := int(binary.LittleEndian.Uint16(h[26:])), int(binary.LittleEndian.Uint16(h[28:]))
		nameExtra, err := a.next(nameLen + extraLen)
		if err != nil {
			return nil, fmt.Errorf("the archive ends inside an entry's header at byte %d", at)
		}
		rawName := nameExtra[:nameLen]
		bucket, file, ok := strings.Cut(string(rawName), "/")
		if !ok || bucket == "" || file == "" || strings.Contains(file, "/") {
			return nil, fmt.Errorf("the archive holds %q, not BUCKET/FILE", rawName)
		}
		if flags&0x1 != 0 {
			return nil, fmt.Errorf("the archive's entry %s is encrypted", rawName)
		}
		descriptor := flags&0x8 != 0
		if !descriptor && (csize == 0xffffffff || usize == 0xffffffff) {
			csize, usize, err = zip64Sizes(nameExtra[nameLen:], csize, usize)
			if err != nil {
				return nil, fmt.Errorf("the archive's entry %s: %w", rawName, err)
			}
		}
		rec := entryRecord{name: nameHash(rawName), offset: at}
		which := -1
		for i, n := range exportFileNames {
			if n == file {
				which = i
			}
		}

		// The data: decompressed into out when the file is kept, else only counted.
		kept := which >= 0
		out.Reset()
		dataStart := a.offset()
		var produced uint64
		switch method {
		case zip.Store:
			if descriptor {
				return nil, fmt.Errorf("the archive's entry %s is stored with its size after the data, which cannot be read as it arrives (MinIO compresses every entry)", rawName)
			}
			if produced, err = copyData(&out, a, csize, kept, scratch); err != nil {
				return nil, fmt.Errorf("the archive ends inside the entry %s", rawName)
			}
		case zip.Deflate:
			fr, ok := flateReaders.Get().(io.ReadCloser)
			if ok {
				if err := fr.(flate.Resetter).Reset(a, nil); err != nil {
					return nil, fmt.Errorf("the archive's entry %s: %w", rawName, err)
				}
			} else {
				fr = flate.NewReader(a)
			}
			produced, err = copyData(&out, fr, 1<<62, kept, scratch)
			flateReaders.Put(fr)
			if err != nil {
				return nil, fmt.Errorf("the archive's entry %s cannot be decompressed: %w", rawName, err)
			}
		default:
			return nil, fmt.Errorf("the archive's entry %s is compressed with method %d, which MinIO does not use", rawName, method)
		}
		consumed := uint64(a.offset() - dataStart)
		if descriptor {
			if crc, err = readDescriptor(a, consumed, produced); err != nil {
				return nil, fmt.Errorf("the archive's entry %s: %w", rawName, err)
			}
		} else if consumed != csize || produced != usize {
			return nil, fmt.Errorf("the archive's entry %s holds %d bytes that decompress to %d, not %d and %d as its header says", rawName, consumed, produced, csize, usize)
		}
		rec.crc, rec.csize, rec.usize = crc, consumed, produced
		records = append(records, rec)

		files := exp.buckets[bucket]
		if files == nil {
			files = &bucketFiles{}
			exp.buckets[bucket] = files
		}
		if !kept {
			continue
		}
		var fileErr error
		switch {
		case produced > maxExportFile:
			fileErr = fmt.Errorf("more than %d bytes, more than bucket metadata can be", maxExportFile)
		case crc32.ChecksumIEEE(out.Bytes()) != crc:
			fileErr = zip.ErrChecksum
		}
		if fileErr != nil {
			files.errs[which], files.data[which] = fileErr, nil
			continue
		}
		files.data[which], files.errs[which] = keep(out.Bytes()), nil
	}
}

// copyData reads up to limit bytes of an entry's data from r (to its end for a decompressor),
// writing into out the first maxExportFile+1 of them when the file is kept, and returns how
// many it read.
func copyData(out *bytes.Buffer, r io.Reader, limit uint64, kept bool, scratch []byte) (uint64, error) {
	var total uint64
	for total < limit {
		n, err := r.Read(scratch[:min(uint64(len(scratch)), limit-total)])
		if n > 0 {
			if kept && uint64(out.Len()) <= maxExportFile {
				out.Write(scratch[:min(n, maxExportFile+1-out.Len())])
			}
			total += uint64(n)
		}
		if err == io.EOF {
			if limit != 1<<62 {
				return total, io.ErrUnexpectedEOF
			}
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// readDescriptor reads the data descriptor after an entry's data (signature optional; sizes of
// 4 or, for zip64, 8 bytes) and returns its CRC-32, checking the sizes against what was read.
func readDescriptor(a *archiveReader, csize, usize uint64) (uint32, error) {
	if b, err := a.peek(4); err == nil && binary.LittleEndian.Uint32(b) == sigDescriptor {
		a.i += 4
	}
	if b, err := a.peek(12); err == nil && uint64(binary.LittleEndian.Uint32(b[4:])) == csize && uint64(binary.LittleEndian.Uint32(b[8:])) == usize {
		a.i += 12
		return binary.LittleEndian.Uint32(b), nil
	}
	if b, err := a.peek(20); err == nil && binary.LittleEndian.Uint64(b[4:]) == csize && binary.LittleEndian.Uint64(b[12:]) == usize {
		a.i += 20
		return binary.LittleEndian.Uint32(b), nil
	}
	return 0, fmt.Errorf("its data descriptor does not say the %d bytes that decompress to %d that were read", csize, usize)
}

// zip64Sizes reads the sizes from an entry's zip64 extra field, for the fields that are
// 0xffffffff in its header.
func zip64Sizes(extra []byte, csize, usize uint64) (uint64, uint64, error) {
	for len(extra) >= 4 {
		id, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+size {
			break
		}
		field := extra[4 : 4+size]
		extra = extra[4+size:]
		if id != 0x0001 {
			continue
		}
		if usize == 0xffffffff {
			if len(field) < 8 {
				return 0, 0, errors.New("its zip64 sizes are cut short")
			}
			usize, field = binary.LittleEndian.Uint64(field), field[8:]
		}
		if csize == 0xffffffff {
			if len(field) < 8 {
				return 0, 0, errors.New("its zip64 sizes are cut short")
			}
			csize = binary.LittleEndian.Uint64(field)
		}
		return csize, usize, nil
	}
	return 0, 0, errors.New("its sizes are in a zip64 field it lacks")
}

// readDirectory reads the central directory and the end records, checking them against the
// entries that were read, and then the end of the answer.
func readDirectory(a *archiveReader, records []entryRecord) error {
	for i := 0; ; i++ {
		at := a.offset()
		sig, err := a.peek(4)
		if err != nil {
			return fmt.Errorf("the archive ends at byte %d, inside its directory", at)
		}
		if binary.LittleEndian.Uint32(sig) != sigCentral {
			if i != len(records) {
				return fmt.Errorf("the archive's directory lists %d entries, but %d were read", i, len(records))
			}
			return readEnd(a, uint64(len(records)))
		}
		h, err := a.next(46)
		if err != nil {
			return fmt.Errorf("the archive ends at byte %d, inside its directory", at)
		}
		crc := binary.LittleEndian.Uint32(h[16:])
		csize := uint64(binary.LittleEndian.Uint32(h[20:]))
		usize := uint64(binary.LittleEndian.Uint32(h[24:]))
		nameLen, extraLen, commentLen := int(binary.LittleEndian.Uint16(h[28:])), int(binary.LittleEndian.Uint16(h[30:])), int(binary.LittleEndian.Uint16(h[32:]))
		offset := uint64(binary.LittleEndian.Uint32(h[42:]))
		rest, err := a.next(nameLen + extraLen + commentLen)
		if err != nil {
			return fmt.Errorf("the archive ends at byte %d, inside its directory", at)
		}
		name, extra := rest[:nameLen], rest[nameLen:nameLen+extraLen]
		if usize == 0xffffffff || csize == 0xffffffff || offset == 0xffffffff {
			if usize, csize, offset, err = zip64Directory(extra, usize, csize, offset); err != nil {
				return fmt.Errorf("the archive's directory entry %q: %w", name, err)
			}
		}
		if i >= len(records) {
			return fmt.Errorf("the archive's directory lists %q, which is not among its entries", name)
		}
		r := records[i]
		if r.name != nameHash(name) || r.crc != crc || r.csize != csize || r.usize != usize || uint64(r.offset) != offset {
			return fmt.Errorf("the archive's directory entry %q does not describe the entry read at byte %d", name, r.offset)
		}
	}
}

// zip64Directory reads a directory entry's zip64 extra field.
func zip64Directory(extra []byte, usize, csize, offset uint64) (uint64, uint64, uint64, error) {
	for len(extra) >= 4 {
		id, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+size {
			break
		}
		field := extra[4 : 4+size]
		extra = extra[4+size:]
		if id != 0x0001 {
			continue
		}
		for _, v := range []*uint64{&usize, &csize, &offset} {
			if *v != 0xffffffff {
				continue
			}
			if len(field) < 8 {
				return 0, 0, 0, errors.New("its zip64 field is cut short")
			}
			*v, field = binary.LittleEndian.Uint64(field), field[8:]
		}
		return usize, csize, offset, nil
	}
	return 0, 0, 0, errors.New("its sizes are in a zip64 field it lacks")
}

// readEnd reads the end records of the directory (zip64 ones first when the writer needed
// them: more than 65,535 entries) and checks the number of entries and that nothing follows.
func readEnd(a *archiveReader, entries uint64) error {
	b, err := a.peek(4)
	if err != nil {
		return errors.New("the archive ends before the end of its directory")
	}
	var total64 uint64
	has64 := false
	if binary.LittleEndian.Uint32(b) == sigEnd64 {
		h, err := a.next(56)
		if err != nil {
			return errors.New("the archive ends inside its zip64 end record")
		}
		size := binary.LittleEndian.Uint64(h[4:]) // of the rest of the record
		if size < 44 || size > 1<<20 {
			return errors.New("the archive's zip64 end record is damaged")
		}
		total64, has64 = binary.LittleEndian.Uint64(h[32:]), true
		if _, err := a.next(int(size - 44)); err != nil {
			return errors.New("the archive ends inside its zip64 end record")
		}
		if b, err = a.next(20); err != nil || binary.LittleEndian.Uint32(b) != sigEnd64Locator {
			return errors.New("the archive's zip64 end record is not followed by its locator")
		}
	}
	h, err := a.next(22)
	if err != nil || binary.LittleEndian.Uint32(h) != sigEnd {
		return errors.New("the archive's directory is not followed by its end record")
	}
	total := uint64(binary.LittleEndian.Uint16(h[10:]))
	commentLen := int(binary.LittleEndian.Uint16(h[20:]))
	if total == 0xffff && has64 {
		total = total64
	}
	if total != entries {
		return fmt.Errorf("the archive's end record counts %d entries, but %d were read", total, entries)
	}
	if _, err := a.next(commentLen); err != nil {
		return errors.New("the archive ends inside its comment")
	}
	if _, err := a.peek(1); err == nil {
		return errors.New("the archive is followed by more data")
	}
	if a.err != nil {
		return a.err
	}
	return nil
}

// parseExport reads a whole export archive held in memory (for tests and callers that have
// one): the same checks as reading it from the answer.
func parseExport(data []byte) (*Export, error) {
	return readExport(newArchiveReader(bytes.NewReader(data)))
}

// The export's tagging.xml and versioning.xml are written by the server with encoding/xml
// from its own structures, so they have one form: <Tagging><TagSet><Tag><Key>K</Key>
// <Value>V</Value></Tag>...</TagSet></Tagging> and <VersioningConfiguration><Status>S</Status>
// </VersioningConfiguration>. Decoding them with encoding/xml took most of the time of reading
// 10,000 buckets from an export; these read exactly that form and say no to anything else
// (another form, an escaped character), which is then decoded with encoding/xml.

// fastTags reads tagging.xml in the server's form; ok is false when it is in another.
func fastTags(text []byte) (tags map[string]string, ok bool) {
	rest, ok := bytes.CutPrefix(text, []byte("<Tagging><TagSet>"))
	if !ok || bytes.IndexByte(text, '&') >= 0 {
		return nil, false
	}
	tags = map[string]string{}
	for {
		if end, ok := bytes.CutPrefix(rest, []byte("</TagSet></Tagging>")); ok {
			return tags, len(end) == 0
		}
		var key, value []byte
		if rest, ok = bytes.CutPrefix(rest, []byte("<Tag><Key>")); !ok {
			return nil, false
		}
		if key, rest, ok = bytes.Cut(rest, []byte("</Key><Value>")); !ok || bytes.IndexByte(key, '<') >= 0 {
			return nil, false
		}
		if value, rest, ok = bytes.Cut(rest, []byte("</Value></Tag>")); !ok || bytes.IndexByte(value, '<') >= 0 {
			return nil, false
		}
		if _, dup := tags[string(key)]; dup || len(tags) == 50 || len(key) == 0 || len(key) > 128 || len(value) > 256 ||
			!tagText(key) || !tagText(value) {
			return nil, false // tags.ParseBucketXML gives the error
		}
		tags[string(key)] = string(value)
	}
}

// fastVersioning reads versioning.xml in the server's form of a bucket that is Enabled or
// Suspended (the export has no file for a bucket never versioned); ok is false for any
// other form (excluded prefixes, say).
func fastVersioning(text []byte) (status string, ok bool) {
	switch string(text) {
	case "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>":
		return "Enabled", true
	case "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>":
		return "Suspended", true
	}
	return "", false
}

// tagText reports whether b holds only the characters a tag may hold (minio-go's pkg/tags
// refuses any other), none of which XML escapes.
func tagText(b []byte) bool {
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '+', c == '-', c == '.', c == '_', c == ':', c == '/', c == '@', c == ' ', c == '=':
		default:
			return false
		}
	}
	return true
}
