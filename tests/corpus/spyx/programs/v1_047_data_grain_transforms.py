"""The Grain map transforms of spyx.data (RateCode, LatencyCode, AngleCode, ShiftAugment) on one record."""
import numpy as np
import spyx

import corpus_data as cd

np.random.seed(47)
pixels = cd.unit((4, 5), steps=8, seed=47)
rate = spyx.data.RateCode(sample_T=10, max_r=0.5).map({"obs": pixels.copy(), "labels": 3})
latency = spyx.data.LatencyCode(sample_T=9, threshold=0.2).map({"obs": pixels.copy()})
angle = spyx.data.AngleCode(6, 0.0, 1.0, output_key="angle").map({"obs": pixels[0].copy()})
events = cd.spikes((16, 6), p=0.3, seed=471).astype(np.uint8)
shifted = spyx.data.ShiftAugment(max_shift=3, axes=(-1,)).map({"obs": events.copy()})
state = spyx.data.State(obs=rate["obs"], labels=np.asarray(rate["labels"]))

RESULTS = {
    "spikes_rate_packed": rate["obs"],
    "spikes_rate": np.unpackbits(rate["obs"], axis=0)[:10],
    "spikes_latency_packed": latency["obs"],
    "spikes_angle": angle["angle"],
    "input_kept": angle["obs"],
    "spikes_shifted": shifted["obs"],
    "spikes_state_labels": state.labels,
}
