/*
 * test_support.hpp
 *		Helpers shared by the unit tests: permutation checks, duplicate
 *		patterns, permutation ranks and chi-square goodness-of-fit.
 */
#ifndef UNORDER_ROWS_TEST_SUPPORT_HPP
#define UNORDER_ROWS_TEST_SUPPORT_HPP

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace test_support
{

/* True when perm[0..n) holds every index 0..n-1 exactly once. */
inline bool
is_permutation(const uint32_t *perm, uint32_t n)
{
	std::vector<bool> seen(n, false);
	for (uint32_t k = 0; k < n; k++)
	{
		if (perm[k] >= n || seen[perm[k]])
			return false;
		seen[perm[k]] = true;
	}
	return true;
}

inline bool
is_permutation(const std::vector<uint32_t> &perm)
{
	return is_permutation(perm.data(), static_cast<uint32_t>(perm.size()));
}

inline std::string
to_string(const uint32_t *perm, uint32_t n)
{
	std::ostringstream out;
	out << "[";
	for (uint32_t k = 0; k < n; k++)
		out << (k ? " " : "") << perm[k];
	out << "]";
	return out.str();
}

inline std::string
to_string(const std::vector<uint32_t> &perm)
{
	return to_string(perm.data(), static_cast<uint32_t>(perm.size()));
}

/*
 * A duplicate pattern: bit i (1 <= i < n) set means row i differs from row 0;
 * a clear bit means row i is a duplicate of row 0.  Bit 0 is never set.
 */
inline uint64_t
all_distinct_mask(uint32_t n)
{
	return n >= 64 ? ~uint64_t{1} : ((uint64_t{1} << n) - 1) & ~uint64_t{1};
}

/* Masks enumerated for a batch of n rows: the k-th one is k << 1. */
inline uint64_t
mask_count(uint32_t n)
{
	return n < 2 ? 1 : uint64_t{1} << (n - 1);
}

inline std::string
mask_to_string(uint64_t mask, uint32_t n)
{
	/* Row 0 is "a"; a row equal to it is "a" too, every distinct row its own letter. */
	std::string rows = "[a";
	for (uint32_t i = 1; i < n; i++)
	{
		rows += ',';
		rows += ((mask >> i) & 1) ? static_cast<char>('b' + (i - 1) % 25) : 'a';
	}
	return rows + "]";
}

/*
 * The "distinct from row 0" predicate for a mask.  Records any call with an
 * index outside [1, n), which the core must never make (the caller may index
 * an array with it).
 */
struct MaskPredicate
{
	uint64_t mask;
	uint32_t n;
	uint32_t *bad_calls;

	bool operator()(uint32_t i) const
	{
		if (i < 1 || i >= n)
		{
			++*bad_calls;
			return false;
		}
		return (mask >> i) & 1;
	}
};

/* Predicate over an explicit vector of flags (flags[0] ignored). */
struct FlagsPredicate
{
	const std::vector<bool> *flags;
	uint32_t *bad_calls;

	bool operator()(uint32_t i) const
	{
		if (i < 1 || i >= flags->size())
		{
			++*bad_calls;
			return false;
		}
		return (*flags)[i];
	}
};

inline uint64_t
factorial(uint32_t n)
{
	uint64_t f = 1;
	for (uint32_t i = 2; i <= n; i++)
		f *= i;
	return f;
}

/* Lexicographic rank of a permutation of 0..n-1 (Lehmer code), n <= 12. */
inline uint64_t
permutation_rank(const uint32_t *perm, uint32_t n)
{
	uint64_t rank = 0;
	for (uint32_t k = 0; k < n; k++)
	{
		uint32_t smaller_after = 0;
		for (uint32_t j = k + 1; j < n; j++)
			if (perm[j] < perm[k])
				smaller_after++;
		rank = rank * (n - k) + smaller_after;
	}
	return rank;
}

/* Inverse of permutation_rank. */
inline std::vector<uint32_t>
permutation_unrank(uint64_t rank, uint32_t n)
{
	std::vector<uint32_t> digits(n);
	for (uint32_t k = n; k-- > 0;)
	{
		uint32_t base = n - k;
		digits[k] = static_cast<uint32_t>(rank % base);
		rank /= base;
	}
	std::vector<uint32_t> pool;
	for (uint32_t i = 0; i < n; i++)
		pool.push_back(i);
	std::vector<uint32_t> perm;
	for (uint32_t k = 0; k < n; k++)
	{
		perm.push_back(pool[digits[k]]);
		pool.erase(pool.begin() + digits[k]);
	}
	return perm;
}

/*
 * Upper critical value of the chi-square distribution with df degrees of
 * freedom at significance p = 0.001, by the Wilson-Hilferty approximation:
 *		chi2_p(df) ~= df * (1 - 2/(9 df) + z_p * sqrt(2/(9 df)))^3
 * with z_p = 3.090232 the standard normal quantile for an upper tail of
 * 0.001.  For df >= 3 the approximation is within about 2% of the exact
 * value; for df = 1 and 2 it overestimates slightly (exact 10.83 and 13.82).
 * The tests use fixed seeds, so a pass or a failure is reproducible; a
 * correct generator fails one such check with probability about 0.001.
 */
inline double
chi_square_critical_p001(uint32_t df)
{
	const double z = 3.090232306167813;
	const double k = static_cast<double>(df);
	const double h = 2.0 / (9.0 * k);
	const double c = 1.0 - h + z * std::sqrt(h);
	return k * c * c * c;
}

/* Pearson statistic of observed counts against equal expected counts. */
inline double
chi_square_uniform(const std::vector<uint64_t> &observed)
{
	uint64_t total = 0;
	for (uint64_t o : observed)
		total += o;
	const double expected = static_cast<double>(total) / static_cast<double>(observed.size());
	double stat = 0.0;
	for (uint64_t o : observed)
	{
		const double d = static_cast<double>(o) - expected;
		stat += d * d / expected;
	}
	return stat;
}

} // namespace test_support

#endif
