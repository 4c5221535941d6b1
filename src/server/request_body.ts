/**
 * Reading a `POST /v1/caption` body: raw image bytes (`Content-Type: image/*` or
 * `application/octet-stream`) or `multipart/form-data` with one or more `image` file parts and an
 * optional JSON `options` part. The size limit is enforced as the body streams in: a declared
 * `Content-Length` over it is refused before reading, and a body that grows past it is cancelled
 * at the chunk that crosses it, never buffered whole.
 * @module
 */
import { HttpError } from "./http_error.ts";
import { optionsFromJson, optionsFromQuery } from "./request_options.ts";

/** One uploaded image. */
export interface UploadedImage {
  /** `"-"` for a raw body (as the CLI names stdin), else the part's file name. */
  name: string;
  bytes: Uint8Array;
}

/** What a caption request carries. */
export interface CaptionUpload {
  images: UploadedImage[];
  /** snake_case generation options: the query, then the options part over it. */
  options: Record<string, unknown>;
  /** Whether the body was multipart (the answer is then `{"results": [...]}`). */
  multipart: boolean;
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, "BODY_TOO_LARGE", `request body is over the limit of ${max} bytes`);
}

/**
 * Reads a request body, refusing it (413) as soon as it is known to be over the limit.
 * @param request the request
 * @param maxBody most bytes accepted
 * @returns the body's bytes
 */
export async function readLimitedBody(
  request: Request,
  maxBody: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBody) throw tooLarge(maxBody);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBody) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBody);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) (out.set(c, at), at += c.byteLength);
  return out;
}

async function multipartParts(
  body: Uint8Array<ArrayBuffer>,
  contentType: string,
): Promise<{ images: UploadedImage[]; optionsText: string | null }> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch (e) {
    throw new HttpError(
      400,
      "BAD_MULTIPART",
      `cannot parse multipart body: ${(e as Error).message}`,
    );
  }
  const images: UploadedImage[] = [];
  let optionsText: string | null = null;
  for (const [field, value] of form) {
    if (field === "image") {
      if (typeof value === "string") {
        throw new HttpError(
          400,
          "BAD_MULTIPART",
          `image part ${images.length} is a text field, not a file (curl -F image=@photo.png)`,
        );
      }
      images.push({
        name: value.name || `image[${images.length}]`,
        bytes: new Uint8Array(await value.arrayBuffer()),
      });
    } else if (field === "options") {
      if (optionsText !== null) throw new HttpError(400, "BAD_MULTIPART", "two options parts");
      optionsText = typeof value === "string" ? value : await value.text();
    } else {
      throw new HttpError(
        400,
        "BAD_MULTIPART",
        `unknown multipart field "${field}" (expected image parts and one options part)`,
      );
    }
  }
  return { images, optionsText };
}

/**
 * Reads and splits a caption request.
 * @param request the request
 * @param maxBody most body bytes accepted
 * @returns the images and options
 */
export async function readCaptionUpload(
  request: Request,
  maxBody: number,
): Promise<CaptionUpload> {
  const type = request.headers.get("content-type") ?? "";
  const mime = type.split(";")[0].trim().toLowerCase();
  const query = optionsFromQuery(new URL(request.url).searchParams);
  if (mime.startsWith("image/") || mime === "application/octet-stream") {
    const bytes = await readLimitedBody(request, maxBody);
    if (bytes.byteLength === 0) throw new HttpError(400, "EMPTY_BODY", "the request body is empty");
    return { images: [{ name: "-", bytes }], options: query, multipart: false };
  }
  if (mime === "multipart/form-data") {
    const bytes = await readLimitedBody(request, maxBody);
    const { images, optionsText } = await multipartParts(bytes, type);
    if (images.length === 0) {
      throw new HttpError(400, "BAD_MULTIPART", "the multipart body has no image part");
    }
    const options = optionsText === null ? query : { ...query, ...optionsFromJson(optionsText) };
    return { images, options, multipart: true };
  }
  throw new HttpError(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    `Content-Type ${
      JSON.stringify(type)
    } is not accepted: send image bytes as image/* (or application/octet-stream), or multipart/form-data`,
  );
}
