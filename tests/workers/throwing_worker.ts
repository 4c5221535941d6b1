/** A worker that dies at start, for the worker port's death test. */
throw new Error("boom at start");
