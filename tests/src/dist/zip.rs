//! A zip archive of one executable file, as Terraform's registry serves a
//! provider: the file deflated, marked executable for Unix (Terraform keeps
//! the mode when it unpacks), dated by a fixed timestamp so that the same
//! binary always gives the same archive and so the same `zh:` hash.
//!
//! Only what a single-file archive needs of the format (PKWARE APPNOTE 6.3):
//! a local file header, the data, one central directory entry and the end of
//! central directory record. Sizes beyond 4 GiB (ZIP64) are refused.

use std::io::Write;

use flate2::Crc;
use flate2::write::DeflateEncoder;

use super::DistError;

const LOCAL_FILE_HEADER: u32 = 0x0403_4b50;
const CENTRAL_DIRECTORY_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version 2.0: deflate.
const VERSION_NEEDED: u16 = 20;
/// Made by Unix (high byte 3), spec version 3.0: the external attributes hold
/// a Unix mode.
const VERSION_MADE_BY: u16 = (3 << 8) | 30;
const METHOD_DEFLATE: u16 = 8;
/// Bit 11: the file name is UTF-8.
const FLAG_UTF8_NAME: u16 = 1 << 11;
/// A regular file, rwxr-xr-x, in the high half of the external attributes.
const EXECUTABLE_MODE: u32 = 0o100_755;
/// 1980-01-01 00:00:00 in MS-DOS form, the earliest date a zip can hold.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// The bytes of a zip archive holding `contents` as the executable `name`.
pub fn single_executable(name: &str, contents: &[u8]) -> Result<Vec<u8>, DistError> {
    let too_large = || DistError::TooLarge {
        name: name.to_owned(),
    };
    let mut crc = Crc::new();
    crc.update(contents);
    let mut encoder = DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(contents)
        .map_err(|e| DistError::io(format!("compressing {name}"), e))?;
    let compressed = encoder
        .finish()
        .map_err(|e| DistError::io(format!("compressing {name}"), e))?;

    let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
    let compressed_len = u32::try_from(compressed.len()).map_err(|_| too_large())?;
    let plain_len = u32::try_from(contents.len()).map_err(|_| too_large())?;
    let entry = Entry {
        crc: crc.sum(),
        compressed_len,
        plain_len,
        name_len,
    };

    let mut out = Vec::with_capacity(compressed.len() + 2 * name.len() + 128);
    put_u32(&mut out, LOCAL_FILE_HEADER);
    put_u16(&mut out, VERSION_NEEDED);
    entry.put_common(&mut out);
    put_u16(&mut out, 0); // extra field length
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&compressed);

    let directory_offset = u32::try_from(out.len()).map_err(|_| too_large())?;
    put_u32(&mut out, CENTRAL_DIRECTORY_HEADER);
    put_u16(&mut out, VERSION_MADE_BY);
    put_u16(&mut out, VERSION_NEEDED);
    entry.put_common(&mut out);
    put_u16(&mut out, 0); // extra field length
    put_u16(&mut out, 0); // comment length
    put_u16(&mut out, 0); // disk number start
    put_u16(&mut out, 0); // internal attributes
    put_u32(&mut out, EXECUTABLE_MODE << 16);
    put_u32(&mut out, 0); // offset of the local header
    out.extend_from_slice(name.as_bytes());
    let directory_len = u32::try_from(out.len()).map_err(|_| too_large())? - directory_offset;

    put_u32(&mut out, END_OF_CENTRAL_DIRECTORY);
    put_u16(&mut out, 0); // this disk
    put_u16(&mut out, 0); // disk with the central directory
    put_u16(&mut out, 1); // entries on this disk
    put_u16(&mut out, 1); // entries in all
    put_u32(&mut out, directory_len);
    put_u32(&mut out, directory_offset);
    put_u16(&mut out, 0); // comment length
    Ok(out)
}

/// The fields the local header and the central directory entry share, from
/// "general purpose bit flag" to "extra field length" (exclusive).
struct Entry {
    crc: u32,
    compressed_len: u32,
    plain_len: u32,
    name_len: u16,
}

impl Entry {
    fn put_common(&self, out: &mut Vec<u8>) {
        put_u16(out, FLAG_UTF8_NAME);
        put_u16(out, METHOD_DEFLATE);
        put_u16(out, DOS_TIME);
        put_u16(out, DOS_DATE);
        put_u32(out, self.crc);
        put_u32(out, self.compressed_len);
        put_u32(out, self.plain_len);
        put_u16(out, self.name_len);
    }
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// Python's zipfile (python3 is what the emulator runs on) reads the
    /// archive back: CRC checked, the name, the Unix mode and the contents.
    #[test]
    fn another_reader_restores_the_file_and_its_mode() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let contents = b"#!/bin/sh\necho packaged\n".repeat(100);
        let archive = single_executable("tool_v1.2.3", &contents)?;
        let path = dir.path().join("tool.zip");
        std::fs::write(&path, &archive)?;
        let read_back = "import sys, zipfile\n\
            z = zipfile.ZipFile(sys.argv[1])\n\
            assert z.testzip() is None\n\
            [info] = z.infolist()\n\
            print(info.filename, oct(info.external_attr >> 16), len(z.read(info)))\n";
        let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        let out = Command::new(python)
            .args(["-c", read_back])
            .arg(&path)
            .output()?;
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout)?.trim(),
            format!("tool_v1.2.3 0o100755 {}", contents.len())
        );
        Ok(())
    }

    #[test]
    fn the_same_file_gives_the_same_archive() -> Result<(), DistError> {
        assert_eq!(
            single_executable("a", b"same")?,
            single_executable("a", b"same")?
        );
        Ok(())
    }
}
