"""spyx.nn.sum_pool with every kind of window, stride, padding and channel axis."""
import jax.numpy as jnp
import spyx.nn as snn

import corpus_data as cd

nhwc = jnp.asarray(cd.spikes((2, 5, 6, 3), p=0.5, seed=34))
nchw = jnp.transpose(nhwc, (0, 3, 1, 2))
RESULTS = {
    "spikes_int_valid": snn.sum_pool(nhwc, 2, 2, "VALID"),
    "spikes_int_same": snn.sum_pool(nhwc, 2, 2, "SAME"),
    "spikes_int_stride1": snn.sum_pool(nhwc, 3, 1, "VALID"),
    "spikes_tuple_hw": snn.sum_pool(nhwc, (2, 3), (2, 3), "VALID"),
    "spikes_tuple_hw_same": snn.sum_pool(nhwc, (3, 2), (2, 2), "SAME"),
    "spikes_tuple_stride_int": snn.sum_pool(nhwc, (2, 2), 1, "VALID"),
    "spikes_full_rank": snn.sum_pool(nhwc, (1, 2, 2, 1), (1, 2, 2, 1), "VALID"),
    "spikes_full_rank_channels": snn.sum_pool(nhwc, (1, 1, 1, 3), (1, 1, 1, 3), "VALID"),
    "spikes_nchw_int": snn.sum_pool(nchw, 2, 2, "VALID", channel_axis=1),
    "spikes_nchw_tuple": snn.sum_pool(nchw, (2, 2), (2, 2), "SAME", channel_axis=1),
    "spikes_no_channel_axis": snn.sum_pool(nhwc, 2, 2, "VALID", channel_axis=None),
    "spikes_layer": snn.SumPool((2, 2), (2, 2), "VALID")(nhwc),
    "spikes_layer_nchw": snn.SumPool(3, 3, "SAME", channel_axis=1)(nchw),
}
