// Small math helpers so the simulator needs no Foundation.

/// Natural logarithm (x > 0), by range reduction and an atanh series.
func naturalLogarithm(_ x: Double) -> Double {
    guard x > 0 else { return -.infinity }
    var m = x, e = 0.0
    while m > 2 { m /= 2; e += 1 }
    while m < 1 { m *= 2; e -= 1 }
    let y = (m - 1) / (m + 1), y2 = y * y
    var term = y, sum = 0.0, n = 1.0
    while n < 41 { sum += term / n; term *= y2; n += 2 }
    return 2 * sum + e * 0.693_147_180_559_945_3
}

/// e^x.
func exponential(_ x: Double) -> Double {
    let k = (x / 0.693_147_180_559_945_3).rounded()
    let r = x - k * 0.693_147_180_559_945_3
    var term = 1.0, sum = 1.0
    for n in 1..<20 { term *= r / Double(n); sum += term }
    return sum * pow2(Int(k))
}

func pow2(_ k: Int) -> Double {
    var v = 1.0
    if k >= 0 { for _ in 0..<k { v *= 2 } } else { for _ in 0..<(-k) { v /= 2 } }
    return v
}

/// √x.
func squareRoot(_ x: Double) -> Double { x.squareRoot() }

/// cos x.
func cosine(_ x: Double) -> Double {
    var r = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if r > Double.pi { r -= 2 * Double.pi } else if r < -Double.pi { r += 2 * Double.pi }
    let r2 = r * r
    var term = 1.0, sum = 1.0
    for n in stride(from: 2, to: 30, by: 2) { term *= -r2 / Double(n * (n - 1)); sum += term }
    return sum
}
