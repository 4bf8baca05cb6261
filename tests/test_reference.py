"""The estimators give the numbers they gave before their restructure.

The reference was recorded with ``tests/_reference.py`` on the package as it
stood before the estimators were split into parts. Comparison is bitwise for
everything but float noise: where a restructure reorders float operations the
tolerance is 1e-6 relative, and stated here.
"""

import _reference
import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def outputs():
    return _reference.compute()


@pytest.fixture(scope="module")
def recorded():
    with np.load(_reference.PATH) as data:
        return {k: data[k] for k in data.files}


def test_same_outputs_recorded(outputs, recorded):
    assert sorted(outputs) == sorted(recorded)


@pytest.mark.parametrize("key", sorted(np.load(_reference.PATH).files))
def test_output_unchanged(outputs, recorded, key):
    np.testing.assert_array_equal(outputs[key], recorded[key])
