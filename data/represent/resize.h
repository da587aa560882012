#pragma once
// skimage.transform.resize(image, (H, W), order=1, mode='reflect',
// anti_aliasing=True) reimplemented: the resize the thesis scripts applied to
// their 22 x 11 dm-dt histograms (docs/REPRESENTATIONS.md says how we know).
//   1. anti-aliasing: a Gaussian filter with sigma = max(0, (in/out - 1) / 2)
//      per axis (scipy.ndimage.gaussian_filter, truncate 4, 'mirror' boundary),
//      so only axes that shrink are smoothed;
//   2. bilinear interpolation with pixel centres at +0.5
//      (x_in = (x_out + 0.5) * in/out - 0.5), 'mirror' boundary
//      (numpy.pad 'reflect': ... c b | a b c | b a ...);
//   3. clipped to the input's value range.
// in: (h, w) row-major; returns (H, W) row-major. All in double precision.
#include <vector>

namespace varstar::data::repr {

std::vector<double> resize_skimage(const std::vector<double>& in, int h, int w, int out_h, int out_w);

}  // namespace varstar::data::repr
