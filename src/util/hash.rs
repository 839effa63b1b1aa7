//! Content identities, as git computes them: blob ids of file contents and tree ids of whole
//! templates. One hash serves both "did the user change this file?" and "find it in the
//! project's git history", and a directory template's id is the id git gives the same tree.
//! And the one keyed hash: HMAC-SHA1, the mark that says scaffold wrote a journal.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

/// The git blob id (SHA-1, 40 hex digits) of `bytes`: the hash of `blob <len>\0` + bytes.
pub(crate) fn blob_id(bytes: &[u8]) -> Result<String> {
    object_id("blob", bytes)
}

/// [`blob_id`], for callers that have no error to pass on.
pub(crate) fn blob(bytes: &[u8]) -> String {
    hex_id("blob", bytes)
}

/// [`hex_id`] in the fallible signature the ids share.
#[expect(
    clippy::unnecessary_wraps,
    reason = "ids keep one fallible signature: tree ids can fail, and 40 callers use `?`"
)]
fn object_id(kind: &str, bytes: &[u8]) -> Result<String> {
    Ok(hex_id(kind, bytes))
}

/// The id of a git object of `kind` holding `bytes`, in hex. Plain SHA-1 (the CPU's SHA
/// instructions where it has them): ten times faster than the collision-detecting SHA-1 that
/// gix reads repositories with, and these ids only say whether bytes scaffold wrote are still
/// there, which a crafted collision cannot change to anyone's harm (whoever could craft both
/// sides writes the template anyway).
fn hex_id(kind: &str, bytes: &[u8]) -> String {
    use sha1::Digest as _;
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut h = sha1::Sha1::new();
    h.update(kind.as_bytes());
    h.update(b" ");
    h.update(bytes.len().to_string().as_bytes());
    h.update(b"\0");
    h.update(bytes);
    let digest = h.finalize();
    let mut hex = String::with_capacity(40);
    for b in digest {
        hex.push(char::from(DIGITS[usize::from(b >> 4)]));
        hex.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    hex
}

/// A hex id of a text under a kind, for keys (the cache of git mirrors names its entries by
/// the URL's).
pub(crate) fn text_id(kind: &str, text: &str) -> Result<String> {
    object_id(kind, text.as_bytes())
}

/// The hash of a secret, recorded so that the secret can be recognised again without being
/// written down: SHA-1 of a fixed prefix and the secret (the secret has 256 random bits, so it
/// cannot be recovered from this).
pub(crate) fn secret_id(secret: &str) -> Result<String> {
    object_id("scaffold-secret", secret.as_bytes())
}

/// HMAC-SHA1 (RFC 2104) of `message` under `key`: the mark an update puts on its journal, so
/// that only a journal this user's scaffold wrote, for this project, is ever replayed. SHA-1
/// is sound inside HMAC (its weakness is collisions, which HMAC's keyed construction does not
/// rest on), and the `sha1` crate is already here for blob ids.
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    use sha1::Digest as _;
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..20].copy_from_slice(&sha1::Sha1::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = sha1::Sha1::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    sha1::Sha1::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Bytes as lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// One file of a tree: its `/`-separated path, whether it is executable, its contents.
pub(crate) struct Entry<'a> {
    /// Path relative to the tree's root.
    pub(crate) path: &'a str,
    /// Mode 100755 rather than 100644.
    pub(crate) executable: bool,
    /// The bytes.
    pub(crate) contents: &'a [u8],
    /// Their blob id, when it is already known.
    pub(crate) id: Option<&'a str>,
}

enum Node<'a> {
    File(&'a Entry<'a>),
    Dir(BTreeMap<&'a str, Node<'a>>),
}

/// The git tree id of these files: what `git write-tree` gives for the same files and modes.
pub(crate) fn tree_id(entries: &[Entry<'_>]) -> Result<String> {
    let mut root: BTreeMap<&str, Node<'_>> = BTreeMap::new();
    for e in entries {
        let mut dir = &mut root;
        let parts: Vec<&str> = e.path.split('/').collect();
        for (i, part) in parts.iter().enumerate() {
            if i + 1 == parts.len() {
                dir.insert(part, Node::File(e));
            } else {
                let node = dir
                    .entry(part)
                    .or_insert_with(|| Node::Dir(BTreeMap::new()));
                match node {
                    Node::Dir(d) => dir = d,
                    Node::File(_) => return Err(anyhow!("`{part}` is both a file and a folder")),
                }
            }
        }
    }
    write_tree(&root)
}

fn write_tree(dir: &BTreeMap<&str, Node<'_>>) -> Result<String> {
    // git sorts entries by name, a directory's name as if it ended with `/`.
    let mut items: Vec<(String, &str, String)> = Vec::with_capacity(dir.len());
    for (name, node) in dir {
        let (mode, id, key) = match node {
            Node::File(e) => (
                if e.executable { "100755" } else { "100644" },
                e.id.map_or_else(|| blob(e.contents), str::to_string),
                (*name).to_string(),
            ),
            Node::Dir(d) => ("40000", write_tree(d)?, format!("{name}/")),
        };
        items.push((key, mode, id));
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut body = Vec::new();
    for (key, mode, id) in items {
        body.extend_from_slice(mode.as_bytes());
        body.push(b' ');
        body.extend_from_slice(key.trim_end_matches('/').as_bytes());
        body.push(0);
        for pair in id.as_bytes().chunks(2) {
            let byte = std::str::from_utf8(pair)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| anyhow!("bad object id `{id}`"))?;
            body.push(byte);
        }
    }
    object_id("tree", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_gits() {
        // `printf 'hello\n' | git hash-object --stdin`, and the empty blob.
        assert_eq!(
            blob_id(b"hello\n").unwrap(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(
            blob_id(b"").unwrap(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        // `git init; printf 'hello\n' > a; mkdir d d.e; printf x > d/b; chmod +x d/b;
        // printf y > d.e/c; printf z > d-f; git add -A; git write-tree`: `d-f` and `d.e`
        // sort before `d/` in git's order.
        let file = |path, executable, contents| Entry {
            path,
            executable,
            contents,
            id: None,
        };
        let tree = tree_id(&[
            file("a", false, b"hello\n"),
            file("d/b", true, b"x"),
            file("d.e/c", false, b"y"),
            file("d-f", false, b"z"),
        ])
        .unwrap();
        assert_eq!(tree, "ce12c639e935afe7675a81ec4b8a9b3310eacf28");
        assert_ne!(secret_id("a").unwrap(), secret_id("b").unwrap());
    }

    /// RFC 2202's test cases for HMAC-SHA1 (keys longer than a block included).
    #[test]
    fn hmac_sha1_is_rfc_2202s() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 7] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                (1..=25).collect(),
                vec![0xcd; 50],
                "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
            ),
            (
                vec![0x0c; 20],
                b"Test With Truncation".to_vec(),
                "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (key, message, want) in cases {
            assert_eq!(hex(&hmac_sha1(&key, &message)), want);
        }
    }
}
