//! The hashes a provider release is known by: SHA-256 of each file (the
//! `SHA256SUMS` lines, and `zh:` in Terraform's lock file, the hash of the zip
//! archive as served) and `h1:` (the hash of the archive's contents, which
//! Terraform computes from what it unpacked: SHA-256 over the sorted lines
//! "<hex SHA-256 of the file>  <name>\n", in standard base64).

use base64::Engine;
use sha2::{Digest, Sha256};

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The `zh:` hash Terraform records for a zip archive: SHA-256 of its bytes.
pub fn zip_hash(archive: &[u8]) -> String {
    format!("zh:{}", sha256_hex(archive))
}

/// The `h1:` hash of a package whose files are `(name, contents)`.
pub fn package_hash<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut lines: Vec<String> = files
        .into_iter()
        .map(|(name, contents)| format!("{}  {name}\n", sha256_hex(contents)))
        .collect();
    lines.sort_by(|a, b| line_name(a).cmp(line_name(b)));
    let summary = Sha256::digest(lines.concat().as_bytes());
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(summary)
    )
}

fn line_name(line: &str) -> &str {
    line.split_once("  ").map_or(line, |(_, name)| name)
}

/// The text of a `SHA256SUMS` file: one "<hex>  <file name>" line per file,
/// sorted by name, as `sha256sum` prints and `sha256sum -c` reads.
pub fn sums_file<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut lines: Vec<(String, String)> = files
        .into_iter()
        .map(|(name, contents)| (name.to_owned(), sha256_hex(contents)))
        .collect();
    lines.sort();
    lines
        .iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_the_empty_string() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn the_package_hash_does_not_depend_on_the_order_given() {
        let forward = package_hash([("a", &b"1"[..]), ("b", &b"2"[..])]);
        let backward = package_hash([("b", &b"2"[..]), ("a", &b"1"[..])]);
        assert_eq!(forward, backward);
        assert!(forward.starts_with("h1:"));
    }

    #[test]
    fn sums_lines_are_sorted_by_name() {
        let text = sums_file([("z.zip", &b""[..]), ("a.zip", &b""[..])]);
        let names: Vec<&str> = text.lines().filter_map(|l| l.split("  ").nth(1)).collect();
        assert_eq!(names, ["a.zip", "z.zip"]);
    }
}
