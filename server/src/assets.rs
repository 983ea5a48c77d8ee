//! The built site's static assets, compressed once after each build (brotli at its best
//! quality, gzip at level 9) and served as such: `ServeDir` picks `name.br` or `name.gz`
//! by the request's `Accept-Encoding`, so no request pays for compressing them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// What is compressed: text and WebAssembly. Images and fonts are compressed already.
const COMPRESSIBLE: &[&str] = &["js", "wasm", "css", "svg", "html", "json", "txt"];

/// One asset's sizes in bytes.
#[derive(Debug, Clone)]
pub struct Compressed {
    pub path: PathBuf,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// Writes `file.br` and `file.gz` beside every compressible file under `dir` whose
/// compressed copies are missing or older than it; answers every such file's sizes.
pub fn precompress(dir: &Path) -> io::Result<Vec<Compressed>> {
    let mut done = Vec::new();
    for path in files_under(dir)? {
        let compressible = path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible {
            continue;
        }
        let raw = std::fs::read(&path)?;
        let br = sibling(&path, "br");
        let gz = sibling(&path, "gz");
        if is_stale(&path, &br)? {
            std::fs::write(&br, brotli_bytes(&raw)?)?;
        }
        if is_stale(&path, &gz)? {
            std::fs::write(&gz, gzip_bytes(&raw)?)?;
        }
        done.push(Compressed { raw: raw.len() as u64, gzip: std::fs::metadata(&gz)?.len(), brotli: std::fs::metadata(&br)?.len(), path });
    }
    done.sort_by(|a, b| b.raw.cmp(&a.raw));
    Ok(done)
}

fn files_under(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn sibling(path: &Path, extension: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Whether `copy` is missing or older than `source`.
fn is_stale(source: &Path, copy: &Path) -> io::Result<bool> {
    let Ok(copied) = std::fs::metadata(copy).and_then(|m| m.modified()) else { return Ok(true) };
    Ok(std::fs::metadata(source)?.modified()? > copied)
}

pub fn brotli_bytes(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // Quality 11 (the best), a 4 MiB window (lgwin 22).
        let mut writer = brotli::CompressorWriter::new(&mut out, 64 * 1024, 11, 22);
        writer.write_all(raw)?;
    }
    Ok(out)
}

pub fn gzip_bytes(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn compressed_copies_decode_to_the_original_and_are_made_once() {
        let dir = std::env::temp_dir().join(format!("plugboard-assets-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        let text = "function hydrate() { return 'plugboard'; }\n".repeat(500);
        std::fs::write(dir.join("pkg/app.js"), &text).unwrap();
        std::fs::write(dir.join("pkg/icon.png"), [0u8; 64]).unwrap();

        let report = precompress(&dir).unwrap();
        assert_eq!(report.len(), 1, "only the script: {report:?}");
        assert!(report[0].brotli < report[0].gzip && report[0].gzip < report[0].raw / 10, "{report:?}");
        let mut unbrotli = String::new();
        brotli::Decompressor::new(std::fs::File::open(dir.join("pkg/app.js.br")).unwrap(), 4096).read_to_string(&mut unbrotli).unwrap();
        let mut ungzip = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(dir.join("pkg/app.js.gz")).unwrap()).read_to_string(&mut ungzip).unwrap();
        assert_eq!((unbrotli.as_str(), ungzip.as_str()), (text.as_str(), text.as_str()));
        assert!(!dir.join("pkg/icon.png.br").exists());

        // Up to date: not written again.
        let before = std::fs::metadata(dir.join("pkg/app.js.br")).unwrap().modified().unwrap();
        precompress(&dir).unwrap();
        assert_eq!(std::fs::metadata(dir.join("pkg/app.js.br")).unwrap().modified().unwrap(), before);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
