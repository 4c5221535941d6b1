/**
 * The encoder worker: holds the model's encoder graph (and nothing else) and turns pixel values
 * into encoder states, one request at a time in arrival order (the run queue of this worker's
 * own onnxruntime instance orders them). Started by workers/worker_client.ts.
 * @module
 */
import { detectPlatform } from "../src/platform/detect.ts";
import { resolveModelFiles } from "../src/hub/resolve_model_files.ts";
import { type EncoderPart, loadEncoderPart } from "../src/model/model_parts.ts";
import { wireTensor } from "./protocol.ts";
import { serveRequests } from "./worker_host.ts";

let part: EncoderPart | null = null;

await serveRequests(async (request, signal) => {
  switch (request.type) {
    case "load": {
      const platform = await detectPlatform();
      const files = await resolveModelFiles(request.source, { ...request.options, platform });
      part = await loadEncoderPart(files, request.options);
      const { device, report } = part.backend;
      return {
        type: "loaded",
        id: request.id,
        info: { device, report, generationConfig: null, decoderShape: null },
      };
    }
    case "encode": {
      if (!part) throw new Error("encoder worker: encode before load");
      const states = await part.encode(request.pixels, signal);
      return { type: "encoded", id: request.id, states: wireTensor(states.data, states.dims) };
    }
    case "dispose":
      await part?.dispose();
      part = null;
      return { type: "disposed", id: request.id };
    default:
      throw new TypeError(`encoder worker: cannot handle a ${request.type} request`);
  }
});
