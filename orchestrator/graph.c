/* graph: not written yet */
