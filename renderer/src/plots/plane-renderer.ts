/**
 * Draws a float32 image plane with a linear grey stretch between lo and hi. WebGL (three) keeps
 * the data as an R32F texture and does the stretch in a shader, so contrast changes cost nothing;
 * where WebGL is unavailable (headless, remote desktops) a Canvas 2D path does the same on the CPU.
 */
import * as THREE from 'three';

export interface Plane {
  width: number;
  height: number;
  data: Float32Array;
}

/** CPU stretch to RGBA grey — also used for PNG export. */
export function stretchToRgba(p: Plane, lo: number, hi: number): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(p.width * p.height * 4);
  const k = hi > lo ? 255 / (hi - lo) : 0;
  for (let i = 0; i < p.width * p.height; i++) {
    const v = (p.data[i]! - lo) * k;
    const g = v < 0 ? 0 : v > 255 ? 255 : v;
    out[4 * i] = g;
    out[4 * i + 1] = g;
    out[4 * i + 2] = g;
    out[4 * i + 3] = 255;
  }
  return out;
}

export interface PlaneRenderer {
  readonly mode: 'webgl' | 'canvas2d';
  draw(p: Plane, lo: number, hi: number): void;
  dispose(): void;
}

function canvas2dRenderer(canvas: HTMLCanvasElement): PlaneRenderer {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas context');
  return {
    mode: 'canvas2d',
    draw(p, lo, hi) {
      canvas.width = p.width;
      canvas.height = p.height;
      ctx.putImageData(new ImageData(stretchToRgba(p, lo, hi), p.width, p.height), 0, 0);
    },
    dispose() {},
  };
}

function webglRenderer(canvas: HTMLCanvasElement): PlaneRenderer {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
  const scene = new THREE.Scene();
  const camera = new THREE.OrthographicCamera(-0.5, 0.5, 0.5, -0.5, 0, 1);
  const uniforms = { tex: { value: null as THREE.DataTexture | null }, lo: { value: 0 }, hi: { value: 1 } };
  const material = new THREE.ShaderMaterial({
    uniforms,
    glslVersion: THREE.GLSL3,
    vertexShader: 'out vec2 vUv; void main(){ vUv = uv; gl_Position = vec4(position.xy * 2.0, 0.0, 1.0); }',
    fragmentShader:
      'precision highp float; uniform sampler2D tex; uniform float lo; uniform float hi; in vec2 vUv; out vec4 color;' +
      // Image rows run top-down; texture v runs bottom-up.
      'void main(){ float v = texture(tex, vec2(vUv.x, 1.0 - vUv.y)).r; float g = clamp((v - lo) / max(hi - lo, 1e-30), 0.0, 1.0); color = vec4(g, g, g, 1.0); }',
  });
  scene.add(new THREE.Mesh(new THREE.PlaneGeometry(1, 1), material));
  return {
    mode: 'webgl',
    draw(p, lo, hi) {
      uniforms.tex.value?.dispose();
      const tex = new THREE.DataTexture(p.data, p.width, p.height, THREE.RedFormat, THREE.FloatType);
      tex.magFilter = THREE.NearestFilter;
      tex.minFilter = THREE.NearestFilter;
      tex.needsUpdate = true;
      uniforms.tex.value = tex;
      uniforms.lo.value = lo;
      uniforms.hi.value = hi;
      renderer.setSize(p.width, p.height, false);
      renderer.render(scene, camera);
    },
    dispose() {
      uniforms.tex.value?.dispose();
      material.dispose();
      renderer.dispose();
    },
  };
}

export function createPlaneRenderer(canvas: HTMLCanvasElement, prefer: 'webgl' | 'canvas2d' = 'webgl'): PlaneRenderer {
  if (prefer === 'webgl') {
    try {
      const probe = document.createElement('canvas').getContext('webgl2');
      if (probe) return webglRenderer(canvas);
    } catch {
      /* fall through to the CPU path */
    }
  }
  return canvas2dRenderer(canvas);
}
