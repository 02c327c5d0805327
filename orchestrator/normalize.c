/* normalize: not written yet */
