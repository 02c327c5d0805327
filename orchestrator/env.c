/* env: not written yet */
