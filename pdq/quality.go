package pdq

// quality is the reference's image-domain quality metric on the 64×64
// downsample: the sum of the absolute differences between neighbours, each
// scaled to 0…100 and truncated to an integer, divided by 90 and capped at
// 100. It counts significant gradients, so flat or nearly flat images score
// low.
func quality(b *[64 * 64]float32) int {
	sum := 0
	for i := range 63 {
		for j := range 64 {
			sum += gradient(b[i*64+j], b[(i+1)*64+j])
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += gradient(b[i*64+j], b[i*64+j+1])
		}
	}
	return min(sum/90, 100)
}

// gradient is |int(((u - v) * 100) / 255)| in float32, truncating toward
// zero as C's conversion does.
func gradient(u, v float32) int {
	d := int(float32((u-v)*100) / 255)
	if d < 0 {
		return -d
	}
	return d
}
