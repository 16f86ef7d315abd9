//! The Merkle tree over audit entries, as Certificate Transparency defines
//! it (RFC 6962 §2.1; verification as in RFC 9162 §2.1.3.2 and §2.1.4.2).
//!
//! Leaves are the entries' hashes (`SHA-256(0x00 ‖ entry)`), inner nodes
//! `SHA-256(0x01 ‖ left ‖ right)`. An inclusion proof shows that one entry
//! is in the tree a signed checkpoint names; a consistency proof shows that
//! a later checkpoint's tree extends an earlier one's, i.e. that nothing
//! already checkpointed was changed. Both are a few dozen hashes and reveal
//! nothing of the other entries, which is what lets one client verify its
//! own entries without seeing anyone else's.
//!
//! This is written here rather than taken from a crate because it is the
//! product: the audit chain's guarantees rest on it, so it is tested
//! against the RFC's published test vectors.

use sha2::{Digest, Sha256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The hash of a leaf whose data is `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly less than `n` (`n` ≥ 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// A tree over leaf hashes, with every complete, aligned subtree's hash
/// computed once, so that roots, inclusion proofs and consistency proofs of
/// any prefix cost O(log² n) lookups.
#[derive(Debug, Clone)]
pub struct MerkleTree {
    /// `levels[k][i]` is the hash of leaves `[i·2ᵏ, (i+1)·2ᵏ)`.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// A tree over `leaves` (leaf hashes, in order).
    pub fn new(leaves: Vec<Hash>) -> Self {
        let mut levels = vec![leaves];
        while let Some(last) = levels.last() {
            if last.len() < 2 {
                break;
            }
            let next: Vec<Hash> = last
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// How many leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether it has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hash of the subtree over leaves `[start, end)`, as RFC 6962's
    /// MTH defines it. The caller keeps `start < end ≤ len`.
    fn subtree(&self, start: u64, end: u64) -> Hash {
        let n = end - start;
        if n.is_power_of_two() {
            let level = n.trailing_zeros() as usize;
            if start.is_multiple_of(n)
                && let Some(h) = self
                    .levels
                    .get(level)
                    .and_then(|l| l.get((start / n) as usize))
            {
                return *h;
            }
        }
        if n == 1 {
            // Unreachable with start < len: level 0 holds every leaf.
            return empty_root();
        }
        let k = split_point(n);
        node_hash(
            &self.subtree(start, start + k),
            &self.subtree(start + k, end),
        )
    }

    /// The root of the first `size` leaves; `None` past the end.
    pub fn root(&self, size: u64) -> Option<Hash> {
        match size {
            0 => Some(empty_root()),
            s if s <= self.len() => Some(self.subtree(0, s)),
            _ => None,
        }
    }

    /// The inclusion proof of leaf `index` in the tree of the first `size`
    /// leaves (RFC 6962 PATH); `None` when out of range.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.len() {
            return None;
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, &mut proof);
        Some(proof)
    }

    fn path(&self, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) {
        let n = end - start;
        if n <= 1 {
            return;
        }
        let k = split_point(n);
        if m - start < k {
            self.path(m, start, start + k, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.path(m, start + k, end, out);
            out.push(self.subtree(start, start + k));
        }
    }

    /// The consistency proof between the trees of the first `old` and the
    /// first `new` leaves (RFC 6962 PROOF); `None` when out of range.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.len() {
            return None;
        }
        let mut proof = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut proof);
        }
        Some(proof)
    }

    fn subproof(&self, m: u64, start: u64, end: u64, whole: bool, out: &mut Vec<Hash>) {
        let n = end - start;
        if m == n {
            if !whole {
                out.push(self.subtree(start, end));
            }
            return;
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, out);
            out.push(self.subtree(start + k, end));
        } else {
            self.subproof(m - k, start + k, end, false, out);
            out.push(self.subtree(start, start + k));
        }
    }
}

/// Whether `proof` shows leaf `leaf` at `index` in the tree of `size`
/// leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && &r == root
}

/// Whether `proof` shows that the tree of `new_size` leaves with root
/// `new_root` extends the tree of `old_size` leaves with root `old_root`
/// (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty() && old_root == &empty_root();
    }
    let mut nodes: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        nodes.push(*old_root);
    }
    nodes.extend_from_slice(proof);
    let Some((first, rest)) = nodes.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    &fr == old_root && &sr == new_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The test leaves of Certificate Transparency's reference tests.
    fn reference_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| leaf_hash(&hex::decode(h).unwrap()))
        .collect()
    }

    const REFERENCE_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn hexes(hashes: &[Hash]) -> Vec<String> {
        hashes.iter().map(hex::encode).collect()
    }

    #[test]
    fn roots_match_the_reference_vectors() {
        let tree = MerkleTree::new(reference_leaves());
        for (size, expected) in REFERENCE_ROOTS.iter().enumerate() {
            assert_eq!(
                hex::encode(tree.root(size as u64).unwrap()),
                *expected,
                "size {size}"
            );
        }
        assert_eq!(tree.root(9), None);
    }

    #[test]
    fn proofs_match_the_reference_vectors() {
        let tree = MerkleTree::new(reference_leaves());
        let root8 = tree.root(8).unwrap();
        let path = tree.inclusion_proof(5, 8).unwrap();
        assert_eq!(
            hexes(&path),
            [
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
        assert!(verify_inclusion(
            &reference_leaves()[5],
            5,
            8,
            &path,
            &root8
        ));
        let consistency = tree.consistency_proof(3, 8).unwrap();
        assert_eq!(
            hexes(&consistency),
            [
                "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
                "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert!(verify_consistency(
            3,
            8,
            &tree.root(3).unwrap(),
            &root8,
            &consistency
        ));
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn every_proof_of_small_trees_verifies_and_a_wrong_one_does_not() {
        let all = leaves(40);
        let tree = MerkleTree::new(all.clone());
        for size in 1..=40u64 {
            let root = tree.root(size).unwrap();
            for index in 0..size {
                let proof = tree.inclusion_proof(index, size).unwrap();
                assert!(verify_inclusion(
                    &all[index as usize],
                    index,
                    size,
                    &proof,
                    &root
                ));
                let other = all[((index + 1) % 40) as usize];
                assert!(!verify_inclusion(&other, index, size, &proof, &root));
                if size > 1 {
                    assert!(!verify_inclusion(
                        &all[index as usize],
                        (index + 1) % size,
                        size,
                        &proof,
                        &root
                    ));
                }
            }
            for old in 0..=size {
                let proof = tree.consistency_proof(old, size).unwrap();
                let old_root = tree.root(old).unwrap();
                assert!(
                    verify_consistency(old, size, &old_root, &root, &proof),
                    "{old}->{size}"
                );
                if old > 0 && old < size {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_consistency(old, size, &old_root, &root, &bad));
                    assert!(!verify_consistency(old, size, &[0xab; 32], &root, &proof));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn proofs_verify_for_any_size(size in 1u64..300, index_seed in any::<u64>(), old_seed in any::<u64>()) {
            let tree = MerkleTree::new(leaves(size as usize));
            let index = index_seed % size;
            let root = tree.root(size).unwrap();
            let proof = tree.inclusion_proof(index, size).unwrap();
            prop_assert!(verify_inclusion(&leaf_hash(&index.to_be_bytes()), index, size, &proof, &root));
            let old = old_seed % (size + 1);
            let cproof = tree.consistency_proof(old, size).unwrap();
            prop_assert!(verify_consistency(old, size, &tree.root(old).unwrap(), &root, &cproof));
        }

        #[test]
        fn garbage_proofs_never_panic(size in 0u64..1000, index in 0u64..1000, proof in proptest::collection::vec(any::<[u8; 32]>(), 0..20)) {
            let _ = verify_inclusion(&[0; 32], index, size, &proof, &[0; 32]);
            let _ = verify_consistency(index, size, &[0; 32], &[1; 32], &proof);
        }
    }
}
