/**
 * The decoder worker: holds the model's decoder graphs and runs the decoding loop (greedy,
 * sampling, beam search) on encoder states it receives once per image; the cross-attention K/V
 * are computed here from them and stay here for every beam and step. Started by
 * workers/worker_client.ts.
 * @module
 */
import { detectPlatform } from "../src/platform/detect.ts";
import { resolveModelFiles } from "../src/hub/resolve_model_files.ts";
import { type DecoderPart, loadDecoderPart } from "../src/model/model_parts.ts";
import { serveRequests } from "./worker_host.ts";

let part: DecoderPart | null = null;

await serveRequests(async (request, signal, progress) => {
  switch (request.type) {
    case "load": {
      const platform = await detectPlatform();
      const files = await resolveModelFiles(request.source, { ...request.options, platform });
      part = await loadDecoderPart(files, request.options);
      const { device, report } = part.backend;
      const info = {
        device,
        report,
        generationConfig: part.generationConfig,
        decoderShape: part.decoderShape,
      };
      return { type: "loaded", id: request.id, info };
    }
    case "decode": {
      if (!part) throw new Error("decoder worker: decode before load");
      const streamer = request.stream ? { onToken: progress } : undefined;
      const output = await part.generate(request.states, {
        ...request.generation,
        signal,
        streamer,
      });
      return { type: "decoded", id: request.id, output, stats: part.stats };
    }
    case "dispose":
      await part?.dispose();
      part = null;
      return { type: "disposed", id: request.id };
    default:
      throw new TypeError(`decoder worker: cannot handle a ${request.type} request`);
  }
});
