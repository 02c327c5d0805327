/* interpolate: not written yet */
