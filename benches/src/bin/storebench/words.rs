//! A synthetic vocabulary with Zipf-distributed word frequencies (s = 1), and the
//! message bodies drawn from it: a reproducible stand-in for chat text, where a few
//! words are in most messages and most words in a handful.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ONSETS: &[&str] = &[
    "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "ch", "sh", "tr", "pl",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou"];

/// Words by rank (0 is the most frequent) and the cumulative distribution.
pub(crate) struct Vocabulary {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Vocabulary {
    /// `size` distinct words (at most 126^3), rank r drawn with weight 1 / (r + 1).
    pub(crate) fn new(size: usize) -> Vocabulary {
        let base = ONSETS.len() * VOWELS.len();
        let syllable =
            |n: usize| format!("{}{}", ONSETS[n / VOWELS.len()], VOWELS[n % VOWELS.len()]);
        let size = size.clamp(1, base * base * base);
        let words = (0..size)
            .map(|k| {
                // Three syllables: distinct for every k below base^3.
                let (a, b, c) = (k / (base * base), (k / base) % base, k % base);
                format!("{}{}{}", syllable(c), syllable(b), syllable(a))
            })
            .collect();
        let mut cdf = Vec::with_capacity(size);
        let mut sum = 0.0;
        for r in 0..size {
            sum += 1.0 / (r as f64 + 1.0);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Vocabulary { words, cdf }
    }

    /// The word of rank `r` (clamped to the vocabulary).
    pub(crate) fn word(&self, r: usize) -> &str {
        &self.words[r.min(self.words.len() - 1)]
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let x: f64 = rng.random();
        self.cdf
            .partition_point(|&c| c < x)
            .min(self.words.len() - 1)
    }
}

/// Message bodies of 6 to 20 words, the same sequence for the same seed; counts in
/// how many bodies each rank occurs.
pub(crate) struct Bodies<'a> {
    vocabulary: &'a Vocabulary,
    rng: StdRng,
    /// Messages containing the word of each rank.
    pub docs: Vec<u32>,
}

impl<'a> Bodies<'a> {
    /// A generator seeded with `seed`.
    pub(crate) fn new(vocabulary: &'a Vocabulary, seed: u64) -> Bodies<'a> {
        Bodies {
            vocabulary,
            rng: StdRng::seed_from_u64(seed),
            docs: vec![0; vocabulary.words.len()],
        }
    }

    /// The next body.
    pub(crate) fn next_body(&mut self) -> String {
        let n = self.rng.random_range(6..=20);
        let mut ranks: Vec<usize> = (0..n)
            .map(|_| self.vocabulary.sample(&mut self.rng))
            .collect();
        let body = ranks
            .iter()
            .map(|&r| self.vocabulary.word(r))
            .collect::<Vec<_>>()
            .join(" ");
        ranks.sort_unstable();
        ranks.dedup();
        for r in ranks {
            self.docs[r] += 1;
        }
        body
    }
}
