/* cmd-config: not written yet */
