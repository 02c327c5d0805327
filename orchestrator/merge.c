/* merge: not written yet */
