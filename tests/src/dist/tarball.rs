//! baker's release archive: a gzip-compressed tar holding the executable
//! `baker`, owned by root, dated 1970-01-01 so that the same binary always
//! gives the same archive.

use flate2::Compression;
use flate2::write::GzEncoder;

use super::DistError;

/// The bytes of a `.tar.gz` holding `contents` as the executable `name`.
pub fn single_executable(name: &str, contents: &[u8]) -> Result<Vec<u8>, DistError> {
    let context = || format!("archiving {name}");
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    builder
        .append_data(&mut header, name, contents)
        .map_err(|e| DistError::io(context(), e))?;
    builder
        .into_inner()
        .and_then(GzEncoder::finish)
        .map_err(|e| DistError::io(context(), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn the_archive_holds_the_executable() -> Result<(), Box<dyn std::error::Error>> {
        let bytes = single_executable("baker", b"binary")?;
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let mut entries = archive.entries()?;
        let mut entry = entries.next().ok_or("an entry")??;
        assert_eq!(entry.path()?.to_string_lossy(), "baker");
        assert_eq!(entry.header().mode()? & 0o777, 0o755);
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents)?;
        assert_eq!(contents, b"binary");
        assert!(entries.next().is_none());
        Ok(())
    }
}
